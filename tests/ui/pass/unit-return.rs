// No return type, or `()`, sends `null`, as Python's `None` does.
use lambda_handler::{Context, lambda_handler};

#[lambda_handler]
fn no_return_type(_event: serde_json::Value, ctx: &Context) {}

#[lambda_handler]
fn explicit_unit(_event: serde_json::Value) -> () {}

#[lambda_handler]
async fn async_no_return(_event: serde_json::Value) {}

fn main() {}
