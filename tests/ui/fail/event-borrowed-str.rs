use lambda_handler::{Context, lambda_handler};

#[lambda_handler]
fn handler(event: &str, ctx: &Context) -> String {
    event.to_uppercase()
}

fn main() {}
