use lambda_handler::lambda_handler;

#[lambda_handler]
fn handler(event: String) -> impl std::fmt::Display {
    event
}

fn main() {}
