use lambda_handler::lambda_handler;

#[lambda_handler(service)]
fn app(prefix: String) -> String {
    prefix
}

fn main() {}
