use lambda_handler::lambda_handler;

#[lambda_handler(name = "my handler")]
fn handler(event: String) -> String {
    event
}

fn main() {}
