use lambda_handler::{Context, lambda_handler};

struct Clients;
struct Config;

async fn build_config() -> Result<Config, std::io::Error> {
    Ok(Config)
}

#[lambda_handler(init = build_config)]
async fn handler(event: String, ctx: &Context, clients: &Clients) -> String {
    let _ = (ctx, clients);
    event
}

fn main() {}
