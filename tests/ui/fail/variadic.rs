use lambda_handler::lambda_handler;

#[lambda_handler]
fn handler(event: u32, args: ...) -> u32 {
    event
}

fn main() {}
