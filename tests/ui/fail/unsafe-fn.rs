use lambda_handler::lambda_handler;

#[lambda_handler]
unsafe fn handler(event: String) -> String {
    event
}

fn main() {}
