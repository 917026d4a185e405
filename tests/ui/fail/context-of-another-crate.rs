use lambda_handler::lambda_handler;

mod aws {
    pub struct Context {
        pub request_id: String,
    }
}

#[lambda_handler]
fn handler(event: String, ctx: &aws::Context) -> String {
    ctx.request_id.clone() + &event
}

fn main() {}
