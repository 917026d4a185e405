use lambda_handler::{Context, lambda_handler};

struct Clients;

fn build_clients() -> Clients {
    Clients
}

#[lambda_handler(init = build_clients)]
fn handler(event: String, ctx: &Context, clients: Clients) -> String {
    let _ = (ctx, clients);
    event
}

fn main() {}
