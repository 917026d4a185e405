//! Durable functions (the `durable` feature): a workflow that runs for minutes or a year as
//! one async function. Its steps' results are checkpointed as it runs; a wait, a callback
//! or a retry suspends the execution without paying for the time; the next invocation
//! replays what was recorded instead of running it again.
//!
//! ```no_run
//! use std::time::Duration;
//! use lambda_handler::durable::{DurableContext, DurableError};
//! # #[derive(serde::Deserialize)] struct Order { id: String }
//!
//! #[lambda_handler::lambda_handler(durable)]
//! async fn order(order: Order, ctx: DurableContext) -> Result<String, DurableError> {
//!     let total: u64 = ctx.step("price", |_| async { Ok::<_, std::io::Error>(42) }).await?;
//!     ctx.wait("cool off", Duration::from_secs(60)).await;
//!     Ok(format!("order {} charged {total}", order.id))
//! }
//! # fn main() {}
//! ```
//!
//! The calls go to Lambda's durable-execution API (`CheckpointDurableExecution`,
//! `GetDurableExecutionState`) through the AWS SDK for Rust; `AWS_ENDPOINT_URL_LAMBDA`
//! points them elsewhere. Locally, `--serve` (the `serve` feature) is the durable service
//! itself: an invocation starts an execution, run to its end on the same port, where boto3
//! and the AWS CLI follow it and complete its callbacks (`--skip-time` lets waits pass at
//! once); AWS's `dex-local-runner` can drive `--serve` instead.

mod batch;
mod condition;
mod context;
mod driver;
mod error;
mod execution;
mod model;
mod retry;
mod service;

pub use batch::{
    BatchConfig, BatchItem, BatchResult, CompletionReason, ItemStatus, ParallelBranch,
};
pub use condition::WaitStrategy;
pub use context::{
    Callback, CallbackConfig, DurableContext, DurableValue, InvokeConfig, StepContext,
};
pub use driver::{DurableEvent, DurableReturn};
pub use error::DurableError;
pub use model::{DurableOutput, ErrorObject};
pub use retry::{Jitter, RetryStrategy, StepConfig, StepSemantics};

#[doc(hidden)]
pub use driver::{Outcome, run};
