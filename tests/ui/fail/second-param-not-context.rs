use lambda_handler::lambda_handler;

#[lambda_handler]
fn handler(event: String, ctx: String) -> String {
    event + &ctx
}

fn main() {}
