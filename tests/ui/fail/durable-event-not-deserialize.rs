use lambda_handler::durable::{DurableContext, DurableError};
use lambda_handler::lambda_handler;

struct Order {
    id: String,
}

#[lambda_handler(durable)]
async fn order(order: Order, ctx: DurableContext) -> Result<String, DurableError> {
    let _ = ctx;
    Ok(order.id)
}

fn main() {}
