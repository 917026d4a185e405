use lambda_handler::lambda_handler;

#[lambda_handler(service)]
fn app() -> String {
    "not a router".to_owned()
}

fn main() {}
