use lambda_handler::durable::DurableError;
use lambda_handler::{Context, lambda_handler};

#[lambda_handler(durable)]
async fn order(order: String, ctx: &Context) -> Result<String, DurableError> {
    let _ = ctx;
    Ok(order)
}

fn main() {}
