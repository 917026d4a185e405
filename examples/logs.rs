//! Logs with `tracing` (the `tracing` feature): each line is written in Lambda's format, with
//! the request id of the invocation that wrote it, and lines below `AWS_LAMBDA_LOG_LEVEL` are
//! not written.
//!
//! `AWS_LAMBDA_LOG_FORMAT=JSON cargo run --example logs -- '{"order_id": 7, "items": 2}'`

use std::fmt;

use lambda_handler::lambda_handler;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Order {
    order_id: u64,
    items: u32,
}

#[derive(Debug)]
struct EmptyOrder(u64);

impl fmt::Display for EmptyOrder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "order {} has no items", self.0)
    }
}

#[lambda_handler]
fn place_order(order: Order) -> Result<Value, EmptyOrder> {
    tracing::debug!("checking order {}", order.order_id);
    tracing::info!(
        order_id = order.order_id,
        items = order.items,
        "placing the order"
    );
    if order.items == 0 {
        tracing::warn!(order_id = order.order_id, "refusing an empty order");
        return Err(EmptyOrder(order.order_id));
    }
    Ok(json!({ "placed": order.order_id }))
}

fn main() {
    lambda_handler::run()
}
