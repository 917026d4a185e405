//! Every shape of `init`: sync or async, plain or fallible, with or without the context.

use lambda_handler::{Context, lambda_handler};

struct Clients;
struct Config;

async fn async_fallible() -> Result<Clients, std::io::Error> {
    Ok(Clients)
}

fn sync_plain() -> Config {
    Config
}

fn sync_anyhow() -> anyhow::Result<Config> {
    Ok(Config)
}

async fn async_plain() -> Clients {
    Clients
}

#[lambda_handler(init = async_fallible)]
async fn one(event: String, ctx: &Context, clients: &Clients) -> String {
    let _ = (ctx, clients);
    event
}

#[lambda_handler(init = sync_plain)]
fn two(event: String, config: &Config) -> String {
    let _ = config;
    event
}

#[lambda_handler(init = sync_anyhow, name = "three")]
fn three<'a>(event: u8, ctx: &'a Context, config: &'a Config) -> anyhow::Result<u8> {
    let _ = (ctx, config);
    Ok(event)
}

mod nested {
    pub(crate) async fn build() -> super::Clients {
        super::Clients
    }
}

#[lambda_handler(init = nested::build)]
async fn four(event: u8, clients: &Clients) {
    let _ = (event, clients);
}

#[lambda_handler(init = async_plain)]
fn five(event: u8, clients: &Clients) -> u8 {
    let _ = clients;
    event
}

fn flush(config: &Config) {
    let _ = config;
}

async fn goodbye() {}

#[lambda_handler(init = sync_plain, shutdown = flush)]
fn six(event: u8, config: &Config) -> u8 {
    let _ = config;
    event
}

#[lambda_handler(shutdown = goodbye)]
async fn seven(event: u8) -> u8 {
    event
}

fn main() {
    let _ = (one, two, three, four, five, six, seven);
}
