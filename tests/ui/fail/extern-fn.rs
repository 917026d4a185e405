use lambda_handler::lambda_handler;

#[lambda_handler]
extern "C" fn handler(event: u32) -> u32 {
    event
}

fn main() {}
