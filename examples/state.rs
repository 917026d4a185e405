//! State built once, before the first invocation, and shared by every invocation: Python's
//! module-level clients. `init` may be `async` (building an AWS SDK client is
//! `aws_config::load_defaults(..).await`) and may fail; a failure is reported to Lambda as
//! the init error and the process exits.
//!
//! `TABLE_NAME=orders cargo run --example state -- --handler greet '{"first_name":"Ada"}'`

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};

use lambda_handler::{Context, lambda_handler};
use serde::Deserialize;
use serde_json::{Value, json};

/// How often this process ran an init function: once, whatever the number of invocations.
static INITS: AtomicU32 = AtomicU32::new(0);

/// What the function builds once: in a real function, SDK and database clients.
struct Clients {
    table: String,
    greeting: String,
}

/// Why the clients could not be built.
#[derive(Debug)]
struct MissingConfig(&'static str);

impl fmt::Display for MissingConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is not set", self.0)
    }
}

impl std::error::Error for MissingConfig {}

async fn build_clients() -> Result<Clients, MissingConfig> {
    INITS.fetch_add(1, Ordering::SeqCst);
    // Awaited as an SDK's configuration loading would be.
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    let table = std::env::var("TABLE_NAME").map_err(|_| MissingConfig("TABLE_NAME"))?;
    Ok(Clients {
        table,
        greeting: "Hello".to_owned(),
    })
}

#[derive(Deserialize)]
struct Name {
    first_name: String,
}

/// Takes the clients by shared reference, after the context.
#[lambda_handler(init = build_clients)]
async fn greet(event: Name, ctx: &Context, clients: &Clients) -> Value {
    json!({
        "message": format!("{} {}!", clients.greeting, event.first_name),
        "table": clients.table,
        "inits": INITS.load(Ordering::SeqCst),
        "request_id": ctx.request_id,
    })
}

/// What a synchronous, infallible init builds.
struct Prefix(String);

fn load_prefix() -> Prefix {
    INITS.fetch_add(1, Ordering::SeqCst);
    let prefix = std::env::var("PREFIX").unwrap_or_else(|_| "item".to_owned());
    // A panicking init is an init error too (`Runtime.Panic`).
    assert!(!prefix.is_empty(), "PREFIX is set but empty");
    Prefix(prefix)
}

/// A synchronous handler whose state is the only other parameter.
#[lambda_handler(init = load_prefix)]
fn label(event: u32, prefix: &Prefix) -> String {
    format!(
        "{}-{event} (inits: {})",
        prefix.0,
        INITS.load(Ordering::SeqCst)
    )
}

fn main() {
    lambda_handler::run()
}
