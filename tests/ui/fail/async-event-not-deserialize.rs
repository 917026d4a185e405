use lambda_handler::{Context, lambda_handler};

struct Order {
    id: String,
}

#[lambda_handler]
async fn handler(event: Order, ctx: &Context) -> String {
    event.id
}

fn main() {}
