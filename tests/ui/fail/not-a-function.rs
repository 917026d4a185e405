use lambda_handler::lambda_handler;

#[lambda_handler]
struct Handler {
    name: String,
}

fn main() {}
