use lambda_handler::{Context, lambda_handler};

#[lambda_handler]
fn handler(event: String, ctx: &Context, extra: u32) -> String {
    format!("{event}{extra}")
}

fn main() {}
