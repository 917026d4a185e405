use lambda_handler::lambda_handler;

#[lambda_handler(crate = "crate::runtime")]
fn handler(event: String) -> String {
    event
}

fn main() {}
