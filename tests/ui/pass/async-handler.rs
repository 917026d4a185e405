// An `async fn` handler borrowing its context across an await.
use lambda_handler::{Context, lambda_handler};

async fn lookup(id: &str) -> usize {
    id.len()
}

#[lambda_handler]
async fn handler(event: Vec<String>, ctx: &Context) -> Result<usize, std::io::Error> {
    let n = lookup(&ctx.request_id).await;
    Ok(n + event.len())
}

fn main() {}
