use lambda_handler::lambda_handler;

struct Clients;
struct Failure;

fn build_clients() -> Result<Clients, Failure> {
    Ok(Clients)
}

#[lambda_handler(init = build_clients)]
fn handler(event: String, clients: &Clients) -> String {
    let _ = clients;
    event
}

fn main() {}
