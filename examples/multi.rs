//! Several handlers in one binary; `_HANDLER` (or `--handler`) picks the one to serve.
//!
//! `cargo run --example multi -- --handler shout '{"first_name":"Ada","last_name":"Lovelace"}'`

use std::fmt;

use lambda_handler::{Context, lambda_handler};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Name {
    first_name: String,
    last_name: String,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
}

/// A synchronous handler.
#[lambda_handler]
fn greet(event: Name, ctx: &Context) -> Greeting {
    Greeting {
        message: format!("Hello {} {}!", event.first_name, event.last_name),
    }
}

/// Why `shout` refuses a name.
#[derive(Debug)]
struct EmptyName;

impl fmt::Display for EmptyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("first_name is empty")
    }
}

impl std::error::Error for EmptyName {}

async fn upper(text: &str) -> String {
    text.to_uppercase()
}

/// An async handler that can fail: `Err` is reported as the invocation's error.
#[lambda_handler]
async fn shout(event: Name, ctx: &Context) -> Result<Greeting, EmptyName> {
    if event.first_name.is_empty() {
        return Err(EmptyName);
    }
    let message = format!(
        "HELLO {} {}!",
        upper(&event.first_name).await,
        upper(&event.last_name).await
    );
    Ok(Greeting { message })
}

/// Any JSON event, returned as it came, under a name of its own.
#[lambda_handler(name = "echo")]
fn echo_value(event: serde_json::Value) -> serde_json::Value {
    event
}

/// Tokio inside a handler: a timer, and a local task (the handler runs in a `LocalSet`, on
/// Lambda and locally alike).
#[lambda_handler]
async fn doubled(event: u64) -> u64 {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    tokio::task::spawn_local(async move { event * 2 })
        .await
        .expect("the local task ran")
}

/// No return value: the response is `null`.
#[lambda_handler]
fn nothing(_event: serde_json::Value) {}

fn main() {
    lambda_handler::run()
}
