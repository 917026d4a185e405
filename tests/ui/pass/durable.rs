//! A durable handler with every kind of operation compiles, and stays callable.
use std::time::Duration;

use lambda_handler::durable::{
    BatchConfig, CallbackConfig, DurableContext, DurableError, ParallelBranch, StepConfig,
    WaitStrategy,
};
use lambda_handler::lambda_handler;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Order {
    items: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Approval {
    approved: bool,
}

#[lambda_handler(durable)]
async fn order(order: Order, ctx: DurableContext) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let total: u64 = ctx.step_with("price", StepConfig::new(), |_| async { Ok::<_, std::io::Error>(1) }).await?;
    ctx.wait("cool off", Duration::from_secs(1)).await;
    let approval: Approval = ctx
        .wait_for_callback("approve", CallbackConfig::new(), |_id| async { Ok::<_, std::io::Error>(()) })
        .await?;
    let polled: u32 = ctx
        .wait_for_condition("poll", 0, |n, _| async move { Ok::<_, std::io::Error>(n + 1) }, WaitStrategy::new(|n: &u32| *n < 3))
        .await?;
    let labels = ctx
        .map("ship", order.items, BatchConfig::new(), |_, item: String, _| async move { Ok::<_, DurableError>(item) })
        .await?
        .into_results()?;
    let both = ctx
        .parallel("both", vec![ParallelBranch::new("a", |_| async { Ok::<_, DurableError>(1) })], BatchConfig::new())
        .await?;
    let child: u64 = ctx.run_in_child_context("child", |_| async move { Ok::<_, DurableError>(total) }).await?;
    let _ = (approval.approved, polled, both.success_count(), child);
    Ok(labels)
}

fn main() {
    let _ = order;
}
