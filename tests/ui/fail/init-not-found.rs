use lambda_handler::lambda_handler;

struct Clients;

#[lambda_handler(init = build_clinets)]
fn handler(event: String, clients: &Clients) -> String {
    let _ = clients;
    event
}

fn main() {}
