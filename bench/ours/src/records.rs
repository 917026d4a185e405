//! Many small records in, the same records out: what a batch handler's JSON looks like, for
//! the JSON writer's A/B (`cargo run --release -- json-ab`).

use lambda_handler::lambda_handler;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Serialize)]
struct Record {
    id: u64,
    name: String,
    price: f64,
    in_stock: bool,
    tags: Vec<String>,
}

#[lambda_handler]
fn records(event: Vec<Record>) -> Vec<Record> {
    event
}

fn main() {
    lambda_handler::run()
}
