use lambda_handler::durable::DurableContext;
use lambda_handler::lambda_handler;

#[lambda_handler(durable)]
async fn order(order: String, ctx: DurableContext) -> String {
    let _ = ctx;
    order
}

fn main() {}
