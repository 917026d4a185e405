use lambda_handler::lambda_handler;

#[lambda_handler(name = "greet", name = "hello")]
fn handler(event: String) -> String {
    event
}

fn main() {}
