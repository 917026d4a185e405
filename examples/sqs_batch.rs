//! An SQS handler that reports partial batch failures: the messages it could not process are
//! named in `batchItemFailures`, so SQS retries only those (the event source mapping needs
//! `ReportBatchItemFailures`).

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_handler::lambda_handler;
use serde::Deserialize;

#[derive(Deserialize)]
struct Order {
    quantity: u32,
}

#[lambda_handler]
fn orders(event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for message in event.records {
        let processed = message
            .body
            .as_deref()
            .and_then(|body| serde_json::from_str::<Order>(body).ok())
            .is_some_and(|order| order.quantity > 0);
        if !processed {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.unwrap_or_default();
            response.batch_item_failures.push(failure);
        }
    }
    response
}

fn main() {
    lambda_handler::run()
}
