//! `map` and `parallel`: many child contexts under one operation, run concurrently within
//! the invocation, with a concurrency limit and a rule for when the batch is complete, as
//! AWS's SDKs define them (`concurrency/executor.py`, `models.py` of the Python SDK).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::context::{DurableContext, DurableValue, Identity};
use super::error::DurableError;
use super::model::{ErrorObject, OperationType};

/// When a `map` or `parallel` is complete. The default waits for every item, and failures
/// are reported in the [`BatchResult`] rather than failing the batch.
#[derive(Clone, Default)]
pub struct BatchConfig {
    max_concurrency: Option<usize>,
    min_successful: Option<usize>,
    tolerated_failure_count: Option<usize>,
    tolerated_failure_percentage: Option<f64>,
    item_name: Option<Arc<dyn Fn(usize) -> String + Send + Sync>>,
}

impl fmt::Debug for BatchConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchConfig")
            .field("max_concurrency", &self.max_concurrency)
            .field("min_successful", &self.min_successful)
            .field("tolerated_failure_count", &self.tolerated_failure_count)
            .field(
                "tolerated_failure_percentage",
                &self.tolerated_failure_percentage,
            )
            .field("item_name", &self.item_name.is_some())
            .finish()
    }
}

impl BatchConfig {
    /// Every item, as many at once as there are.
    pub fn new() -> Self {
        BatchConfig::default()
    }

    /// At most `limit` items run at once (at least 1: a batch with 0 fails with
    /// `ValidationError` before it starts).
    pub fn max_concurrency(mut self, limit: usize) -> Self {
        self.max_concurrency = Some(limit);
        self
    }

    /// Complete as soon as `count` items succeeded.
    pub fn min_successful(mut self, count: usize) -> Self {
        self.min_successful = Some(count);
        self
    }

    /// Complete (as `FAILURE_TOLERANCE_EXCEEDED`) once more than `count` items failed.
    pub fn tolerated_failure_count(mut self, count: usize) -> Self {
        self.tolerated_failure_count = Some(count);
        self
    }

    /// Complete (as `FAILURE_TOLERANCE_EXCEEDED`) once more than `percent` % of the items
    /// failed.
    pub fn tolerated_failure_percentage(mut self, percent: f64) -> Self {
        self.tolerated_failure_percentage = Some(percent);
        self
    }

    /// Names `map`'s item `index` (the history shows it); `{name}-{index}` otherwise.
    pub fn item_name(mut self, name: impl Fn(usize) -> String + Send + Sync + 'static) -> Self {
        self.item_name = Some(Arc::new(name));
        self
    }

    fn done(&self, total: usize, succeeded: usize, failed: usize) -> Option<CompletionReason> {
        let tolerance_exceeded = self.tolerated_failure_count.is_some_and(|n| failed > n)
            || self
                .tolerated_failure_percentage
                .is_some_and(|p| total > 0 && (failed as f64) * 100.0 / (total as f64) > p);
        if tolerance_exceeded {
            Some(CompletionReason::FailureToleranceExceeded)
        } else if succeeded + failed == total {
            Some(CompletionReason::AllCompleted)
        } else if self.min_successful.is_some_and(|n| succeeded >= n) {
            Some(CompletionReason::MinSuccessfulReached)
        } else {
            None
        }
    }
}

/// Why a batch completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CompletionReason {
    /// Every item finished.
    AllCompleted,
    /// Enough items succeeded.
    MinSuccessfulReached,
    /// Too many items failed.
    FailureToleranceExceeded,
}

/// What became of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ItemStatus {
    /// It returned a value.
    Succeeded,
    /// It failed.
    Failed,
    /// It had started when the batch completed without it.
    Started,
}

/// One item's outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct BatchItem<T> {
    /// The item's position.
    pub index: usize,
    /// What became of it.
    pub status: ItemStatus,
    /// Its value, when it succeeded.
    pub result: Option<T>,
    /// Its error, when it failed.
    pub error: Option<ErrorObject>,
}

/// Every item's outcome, in the items' order, and why the batch completed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub struct BatchResult<T> {
    /// Each item, in order.
    pub all: Vec<BatchItem<T>>,
    /// Why the batch completed.
    #[serde(rename = "completionReason")]
    pub completion_reason: CompletionReason,
}

impl<T> BatchResult<T> {
    /// `Failed` when an item failed, else `Succeeded` (as AWS's SDKs report a batch).
    pub fn status(&self) -> ItemStatus {
        if self.failure_count() > 0 {
            ItemStatus::Failed
        } else {
            ItemStatus::Succeeded
        }
    }

    /// How many items succeeded.
    pub fn success_count(&self) -> usize {
        self.count(ItemStatus::Succeeded)
    }

    /// How many items failed.
    pub fn failure_count(&self) -> usize {
        self.count(ItemStatus::Failed)
    }

    /// How many items started (those a completed batch never started are not in it).
    pub fn total_count(&self) -> usize {
        self.all.len()
    }

    fn count(&self, status: ItemStatus) -> usize {
        self.all.iter().filter(|item| item.status == status).count()
    }

    /// Whether an item failed.
    pub fn has_failure(&self) -> bool {
        self.failure_count() > 0
    }

    /// The errors of the items that failed, in order.
    pub fn errors(&self) -> impl Iterator<Item = &ErrorObject> {
        self.all.iter().filter_map(|item| item.error.as_ref())
    }

    /// The values of the items that succeeded, in order.
    pub fn succeeded(&self) -> impl Iterator<Item = &T> {
        self.all.iter().filter_map(|item| item.result.as_ref())
    }

    /// Every item's value, or the first failure (as the Python SDK's `throw_if_error`).
    pub fn into_results(self) -> Result<Vec<T>, DurableError> {
        let mut values = Vec::with_capacity(self.all.len());
        for item in self.all {
            match (item.result, item.error) {
                (Some(value), _) => values.push(value),
                (None, Some(error)) => return Err(DurableError::new("BatchItemError", error)),
                (None, None) if item.status == ItemStatus::Succeeded => {
                    return Err(DurableError::new(
                        "BatchItemError",
                        ErrorObject {
                            error_message: Some(format!("item {} has no value", item.index)),
                            ..ErrorObject::default()
                        },
                    ));
                }
                (None, None) => {
                    return Err(DurableError::new(
                        "BatchItemError",
                        ErrorObject {
                            error_message: Some(format!(
                                "item {} did not finish before the batch completed",
                                item.index
                            )),
                            ..ErrorObject::default()
                        },
                    ));
                }
            }
        }
        Ok(values)
    }
}

/// A batch's result as the history records it: each item's value through its own
/// [`DurableValue`] encoding (which needs no `serde` bound on `T` here).
struct Recorded<T>(BatchResult<T>);

impl<T: DurableValue> DurableValue for Recorded<T> {
    fn __durable_encode(&self) -> Result<String, serde_json::Error> {
        let all = self
            .0
            .all
            .iter()
            .map(|item| {
                let result = match &item.result {
                    Some(value) => Some(serde_json::from_str::<Value>(&value.__durable_encode()?)?),
                    None => None,
                };
                Ok(BatchItem {
                    index: item.index,
                    status: item.status,
                    result,
                    error: item.error.clone(),
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        serde_json::to_string(&BatchResult {
            all,
            completion_reason: self.0.completion_reason,
        })
    }

    fn __durable_decode(json: &str) -> Result<Self, serde_json::Error> {
        let recorded: BatchResult<Value> = serde_json::from_str(json)?;
        let all = recorded
            .all
            .into_iter()
            .map(|item| {
                let result = match item.result {
                    Some(value) => Some(T::__durable_decode(&value.to_string())?),
                    None => None,
                };
                Ok(BatchItem {
                    index: item.index,
                    status: item.status,
                    result,
                    error: item.error,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        Ok(Recorded(BatchResult {
            all,
            completion_reason: recorded.completion_reason,
        }))
    }
}

type Branch<'a, T> = Pin<Box<dyn Future<Output = Result<T, DurableError>> + 'a>>;

/// A branch of [`DurableContext::parallel`]: a name and an async function of its own context.
pub struct ParallelBranch<'a, T> {
    name: String,
    run: Box<dyn FnOnce(DurableContext) -> Branch<'a, T> + 'a>,
}

impl<'a, T: 'a> ParallelBranch<'a, T> {
    /// A branch named `name` running `body`.
    pub fn new<E, F, Fut>(name: &str, body: F) -> Self
    where
        E: fmt::Display,
        F: FnOnce(DurableContext) -> Fut + 'a,
        Fut: Future<Output = Result<T, E>> + 'a,
    {
        ParallelBranch {
            name: name.to_owned(),
            run: Box::new(move |ctx| {
                Box::pin(async move {
                    body(ctx).await.map_err(|error| {
                        DurableError::new("BranchError", DurableError::object_of(&error))
                    })
                })
            }),
        }
    }
}

impl DurableContext {
    /// Runs `f` on each item, each in its own child context, concurrently within the
    /// invocation; items that wait suspend alone, and the execution suspends when every
    /// running item waits.
    pub async fn map<I, T, E, F, Fut>(
        &self,
        name: &str,
        items: Vec<I>,
        config: BatchConfig,
        f: F,
    ) -> Result<BatchResult<T>, DurableError>
    where
        I: DurableValue,
        T: DurableValue,
        E: fmt::Display,
        F: Fn(DurableContext, I, usize) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let f = &f;
        let branches = items
            .into_iter()
            .enumerate()
            .map(|(index, item)| {
                let item_name = match (&config.item_name, name) {
                    (Some(item_name), _) => item_name(index),
                    (None, "") => index.to_string(),
                    (None, name) => format!("{name}-{index}"),
                };
                ParallelBranch::new(&item_name, move |ctx| f(ctx, item, index))
            })
            .collect();
        self.batch(name, "Map", "MapIteration", branches, config)
            .await
    }

    /// Runs each branch in its own child context, concurrently within the invocation.
    pub async fn parallel<'a, T: DurableValue + 'a>(
        &self,
        name: &str,
        branches: Vec<ParallelBranch<'a, T>>,
        config: BatchConfig,
    ) -> Result<BatchResult<T>, DurableError> {
        self.batch(name, "Parallel", "ParallelBranch", branches, config)
            .await
    }

    async fn batch<'a, T: DurableValue + 'a>(
        &self,
        name: &str,
        sub_type: &'static str,
        item_sub_type: &'static str,
        branches: Vec<ParallelBranch<'a, T>>,
        config: BatchConfig,
    ) -> Result<BatchResult<T>, DurableError> {
        if config.max_concurrency == Some(0) {
            return Err(DurableError::new(
                "ValidationError",
                ErrorObject {
                    error_type: Some("ValidationError".to_owned()),
                    error_message: Some(format!(
                        "{sub_type} `{name}`: max_concurrency must be at least 1"
                    )),
                    ..ErrorObject::default()
                },
            ));
        }
        let who = self.identity(OperationType::Context, sub_type, name);
        self.run_child(
            who,
            |batch_ctx| async move {
                let batch = run_branches(&batch_ctx, item_sub_type, branches, config).await;
                Ok::<_, DurableError>(Recorded(batch))
            },
            |error: &DurableError| error.error_object().clone(),
        )
        .await
        .map(|Recorded(batch)| batch)
    }
}

/// Runs the branches under `batch_ctx` until `config` says the batch is complete.
async fn run_branches<'a, T: DurableValue + 'a>(
    batch_ctx: &DurableContext,
    item_sub_type: &'static str,
    branches: Vec<ParallelBranch<'a, T>>,
    config: BatchConfig,
) -> BatchResult<T> {
    let total = branches.len();
    let limit = config.max_concurrency.unwrap_or(total).max(1);
    let mut waiting: std::collections::VecDeque<(usize, ParallelBranch<'a, T>)> =
        branches.into_iter().enumerate().collect();
    let mut running: Vec<(usize, Branch<'a, T>, _)> = Vec::new();
    let mut outcomes: Vec<Option<Result<T, DurableError>>> = (0..total).map(|_| None).collect();
    let mut started = vec![false; total];
    let (mut succeeded, mut failed) = (0, 0);
    // The parent waits on its children: it does not count as running meanwhile.
    let _parent = batch_ctx.execution.waiting_on_children();
    let reason = loop {
        if let Some(reason) = config.done(total, succeeded, failed) {
            break reason;
        }
        while running.len() < limit
            && let Some((index, branch)) = waiting.pop_front()
        {
            let id = batch_ctx.next_id();
            let mark = batch_ctx.execution.branch();
            let ctx = batch_ctx.clone();
            let ParallelBranch { name, run } = branch;
            started[index] = true;
            let future: Branch<'a, T> = Box::pin(async move {
                let who = Identity {
                    id,
                    kind: OperationType::Context,
                    sub_type: item_sub_type,
                    name: Some(name.as_str()),
                };
                ctx.run_child(who, run, |error: &DurableError| {
                    error.error_object().clone()
                })
                .await
            });
            running.push((index, future, mark));
        }
        // Poll every running branch once; wake when any can go on.
        let finished = std::future::poll_fn(|cx| {
            let mut finished = Vec::new();
            for (slot, (_, branch, _)) in running.iter_mut().enumerate() {
                if let Poll::Ready(outcome) = branch.as_mut().poll(cx) {
                    finished.push((slot, outcome));
                }
            }
            if finished.is_empty() {
                Poll::Pending
            } else {
                Poll::Ready(finished)
            }
        })
        .await;
        for (slot, outcome) in finished.into_iter().rev() {
            let (index, _, _mark) = running.swap_remove(slot);
            match &outcome {
                Ok(_) => succeeded += 1,
                Err(_) => failed += 1,
            }
            outcomes[index] = Some(outcome);
        }
    };
    // Branches the batch no longer needs are dropped, suspended or not.
    drop(running);
    let all = outcomes
        .into_iter()
        .enumerate()
        .filter(|(index, _)| started[*index])
        .map(|(index, outcome)| match outcome {
            Some(Ok(value)) => BatchItem {
                index,
                status: ItemStatus::Succeeded,
                result: Some(value),
                error: None,
            },
            Some(Err(error)) => BatchItem {
                index,
                status: ItemStatus::Failed,
                result: None,
                error: Some(error.error_object().clone()),
            },
            None => BatchItem {
                index,
                status: ItemStatus::Started,
                result: None,
                error: None,
            },
        })
        .collect();
    BatchResult {
        all,
        completion_reason: reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_follows_the_config() {
        let all = BatchConfig::new();
        assert_eq!(all.done(3, 2, 0), None);
        assert_eq!(all.done(3, 2, 1), Some(CompletionReason::AllCompleted));
        let min = BatchConfig::new().min_successful(2);
        assert_eq!(
            min.done(5, 2, 0),
            Some(CompletionReason::MinSuccessfulReached)
        );
        let tolerate = BatchConfig::new().tolerated_failure_count(1);
        assert_eq!(tolerate.done(5, 0, 1), None);
        assert_eq!(
            tolerate.done(5, 0, 2),
            Some(CompletionReason::FailureToleranceExceeded)
        );
        let percent = BatchConfig::new().tolerated_failure_percentage(25.0);
        assert_eq!(
            percent.done(4, 0, 2),
            Some(CompletionReason::FailureToleranceExceeded)
        );
        assert_eq!(percent.done(4, 0, 1), None);
    }
}
