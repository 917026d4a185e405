use lambda_handler::lambda_handler;

struct Greeting;

#[lambda_handler]
fn handler(_event: String) -> Result<Greeting, std::io::Error> {
    Ok(Greeting)
}

fn main() {}
