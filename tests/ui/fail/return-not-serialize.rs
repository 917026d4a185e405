use lambda_handler::{Context, lambda_handler};

struct Greeting {
    message: String,
}

#[lambda_handler]
fn handler(event: String, ctx: &Context) -> Greeting {
    Greeting { message: event }
}

fn main() {}
