use lambda_handler::lambda_handler;

struct Row;

#[lambda_handler]
async fn handler(_event: String) -> anyhow::Result<Vec<Row>> {
    Ok(Vec::new())
}

fn main() {}
