use lambda_handler::{Context, lambda_handler};

struct Clients;

#[lambda_handler]
fn handler(event: String, ctx: &Context, clients: &Clients) -> String {
    let _ = (ctx, clients);
    event
}

fn main() {}
