use lambda_handler::lambda_handler;

#[lambda_handler]
fn handler() -> String {
    String::new()
}

fn main() {}
