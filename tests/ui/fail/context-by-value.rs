use lambda_handler::{Context, lambda_handler};

#[lambda_handler]
fn handler(event: String, ctx: Context) -> String {
    ctx.request_id + &event
}

fn main() {}
