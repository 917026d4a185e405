use lambda_handler::lambda_handler;

#[derive(Debug)]
struct Failure;

#[lambda_handler]
fn handler(_event: String) -> Result<String, Failure> {
    Err(Failure)
}

fn main() {}
