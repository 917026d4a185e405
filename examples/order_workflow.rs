//! A durable order workflow: price the order in a step, wait for the payment window, wait
//! for a person's approval (a callback completed from outside: boto3, the AWS CLI), then ship
//! every item concurrently with `map`. Each step runs once; waits and the approval suspend
//! the execution without paying for the time.
//!
//! Locally, `--serve` is the durable service (`--skip-time`: the payment window passes at once):
//!
//! ```text
//! cargo run --example order_workflow -- --serve 127.0.0.1:9000 --skip-time &
//! aws lambda invoke --endpoint-url http://127.0.0.1:9000 --function-name function \
//!   --invocation-type Event --payload '{"order_id": "o-1", "items": ["book", "pen"]}' out.json
//! aws lambda send-durable-execution-callback-success --endpoint-url http://127.0.0.1:9000 \
//!   --callback-id ID --result '{"approved": true, "by": "ada"}'   # the id the function printed
//! aws lambda get-durable-execution --endpoint-url http://127.0.0.1:9000 --durable-execution-arn ARN
//! ```

use std::error::Error;
use std::time::Duration;

use lambda_handler::durable::{
    BatchConfig, CallbackConfig, DurableContext, RetryStrategy, StepConfig,
};
use lambda_handler::lambda_handler;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Order {
    order_id: String,
    items: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Approval {
    approved: bool,
    by: String,
}

#[derive(Serialize)]
struct Receipt {
    order_id: String,
    total_cents: u64,
    approved_by: String,
    shipments: Vec<String>,
}

#[lambda_handler(durable)]
async fn order_workflow(order: Order, ctx: DurableContext) -> Result<Receipt, Box<dyn Error>> {
    let items = order.items.clone();
    let total_cents: u64 = ctx
        .step_with(
            "price order",
            StepConfig::new().retry(RetryStrategy::default().max_attempts(3)),
            |_| async move { Ok::<_, std::io::Error>(items.len() as u64 * 1250) },
        )
        .await?;

    ctx.wait("payment window", Duration::from_secs(2)).await;

    let order_id = order.order_id.clone();
    let approval: Approval = ctx
        .wait_for_callback(
            "approval",
            CallbackConfig::new().timeout(Duration::from_secs(3600)),
            |callback_id| async move {
                // Where a real workflow emails a link or posts to a queue.
                println!("approve order {order_id} with callback id {callback_id}");
                Ok::<_, std::io::Error>(())
            },
        )
        .await?;
    if !approval.approved {
        return Err(format!("order {} rejected by {}", order.order_id, approval.by).into());
    }

    let shipments = ctx
        .map(
            "ship",
            order.items,
            BatchConfig::new().max_concurrency(4),
            |item_ctx, item: String, index| async move {
                item_ctx
                    .step("label", |_| async move {
                        Ok::<_, std::io::Error>(format!("parcel {index}: {item}"))
                    })
                    .await
            },
        )
        .await?
        .into_results()?;

    Ok(Receipt {
        order_id: order.order_id,
        total_cents,
        approved_by: approval.by,
        shipments,
    })
}

fn main() {
    lambda_handler::run()
}
