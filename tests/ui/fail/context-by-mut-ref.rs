use lambda_handler::{Context, lambda_handler};

#[lambda_handler]
fn handler(event: String, ctx: &mut Context) -> String {
    ctx.request_id.clone() + &event
}

fn main() {}
