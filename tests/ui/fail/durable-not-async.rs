use lambda_handler::durable::{DurableContext, DurableError};
use lambda_handler::lambda_handler;

#[lambda_handler(durable)]
fn order(order: String, ctx: DurableContext) -> Result<String, DurableError> {
    let _ = ctx;
    Ok(order)
}

fn main() {}
