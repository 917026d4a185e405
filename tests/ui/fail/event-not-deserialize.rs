use lambda_handler::{Context, lambda_handler};

struct Name {
    first_name: String,
}

#[lambda_handler]
fn handler(event: Name, ctx: &Context) -> String {
    event.first_name
}

fn main() {}
