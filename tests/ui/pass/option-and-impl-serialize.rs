// `Option<R>` (None is `null`), `impl Serialize`, and `serde_json::Value` in and out.
use lambda_handler::lambda_handler;
use serde::Serialize;

#[lambda_handler]
fn maybe(event: Option<u32>) -> Option<String> {
    event.map(|n| n.to_string())
}

#[lambda_handler]
fn opaque(event: Vec<u8>) -> impl Serialize {
    event.len()
}

#[lambda_handler]
async fn opaque_async(event: Vec<u8>) -> impl Serialize {
    event
}

#[lambda_handler]
fn any_json(event: serde_json::Value) -> serde_json::Value {
    serde_json::json!({ "got": event })
}

fn main() {}
