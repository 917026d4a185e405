use lambda_handler::lambda_handler;
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    id: u64,
}

#[lambda_handler]
fn handler(order: &Order) -> u64 {
    order.id
}

fn main() {}
