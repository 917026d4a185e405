use lambda_handler::{Context, lambda_handler};
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    id: u64,
}

#[lambda_handler]
fn handler(ctx: &Context, order: Order) -> u64 {
    let _ = ctx;
    order.id
}

fn main() {}
