use lambda_handler::lambda_handler;

struct Clients;

fn build_clients() -> Clients {
    Clients
}

#[lambda_handler(init = build_clients)]
fn handler(event: String) -> String {
    event
}

fn main() {}
