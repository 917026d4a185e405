use lambda_handler::lambda_handler;

#[lambda_handler(nmae = "greet")]
fn handler(event: String) -> String {
    event
}

fn main() {}
