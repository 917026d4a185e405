//! `wait_for_condition`: poll a state until a condition holds, waiting between checks
//! without running or paying for the time. The state is recorded after each check (a STEP
//! of subtype `WaitForCondition` retried with the new state as its payload), as AWS's SDKs
//! do (`operation/wait_for_condition.py`, `waits.py` of the Python SDK).

use std::fmt;
use std::future::Future;
use std::time::Duration;

use super::context::{DurableContext, DurableValue, StepContext};
use super::error::DurableError;
use super::model::{Action, ErrorObject, OperationStatus, OperationType, UpdateOptions};
use super::retry::{Backoff, Jitter};

/// When `wait_for_condition` checks again. The default, as AWS's SDKs: at most 60 checks,
/// 5 s after the first, growing 1.5x, at most 5 minutes apart, full jitter.
pub struct WaitStrategy<S> {
    keep_polling: Box<dyn Fn(&S) -> bool + Send + Sync>,
    max_attempts: u32,
    backoff: Backoff,
}

impl<S> fmt::Debug for WaitStrategy<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitStrategy")
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}

impl<S> WaitStrategy<S> {
    /// Checks again while `keep_polling(&state)` is true.
    pub fn new(keep_polling: impl Fn(&S) -> bool + Send + Sync + 'static) -> Self {
        WaitStrategy {
            keep_polling: Box::new(keep_polling),
            max_attempts: 60,
            backoff: Backoff {
                initial: Duration::from_secs(5),
                max: Duration::from_secs(300),
                rate: 1.5,
                jitter: Jitter::Full,
            },
        }
    }

    /// At most `attempts` checks; the operation fails if the condition still does not hold.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the second check.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.backoff.initial = delay;
        self
    }

    /// The longest wait between checks.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.backoff.max = delay;
        self
    }

    /// How much each wait grows over the one before (1.0: a fixed delay).
    pub fn backoff_rate(mut self, rate: f64) -> Self {
        self.backoff.rate = rate;
        self
    }

    /// The randomness of each wait.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.backoff.jitter = jitter;
        self
    }

    /// After `attempts_made` checks left `state`: stop (`Ok(None)`), wait this many seconds,
    /// or fail because the checks ran out (a condition met on the last one still stops).
    fn decide(&self, state: &S, attempts_made: u32) -> Result<Option<u32>, String> {
        if !(self.keep_polling)(state) {
            return Ok(None);
        }
        if attempts_made >= self.max_attempts {
            return Err(format!(
                "wait_for_condition exhausted {} attempts before the condition was met",
                self.max_attempts
            ));
        }
        Ok(Some(self.backoff.delay(attempts_made)))
    }
}

impl DurableContext {
    /// Calls `check` on a state until `strategy` says the condition holds, waiting between
    /// checks without running or paying for the time. The state is recorded after each
    /// check, so it survives the waits; the final state is returned.
    ///
    /// ```no_run
    /// # async fn f(ctx: lambda_handler::durable::DurableContext) -> Result<(), lambda_handler::durable::DurableError> {
    /// use lambda_handler::durable::WaitStrategy;
    /// let done: u32 = ctx
    ///     .wait_for_condition("poll", 0, |n, _| async move { Ok::<_, std::io::Error>(n + 1) },
    ///         WaitStrategy::new(|n: &u32| *n < 3))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_condition<S, E, F, Fut>(
        &self,
        name: &str,
        initial: S,
        check: F,
        strategy: WaitStrategy<S>,
    ) -> Result<S, DurableError>
    where
        S: DurableValue,
        E: fmt::Display,
        F: FnOnce(S, StepContext) -> Fut,
        Fut: Future<Output = Result<S, E>>,
    {
        let who = self.identity(OperationType::Step, "WaitForCondition", name);
        let recorded = self.recorded(&who).await;
        let details = recorded
            .as_ref()
            .and_then(|op| op.step_details.clone())
            .unwrap_or_default();
        let attempts_made = details.attempt.unwrap_or(0);
        let state = match recorded.as_ref().map(|op| op.status) {
            Some(OperationStatus::Succeeded) => {
                return Ok(self.decode(details.result.as_deref()).await);
            }
            Some(OperationStatus::Failed) => {
                return Err(DurableError::new(
                    "WaitForConditionError",
                    details.error.unwrap_or_default(),
                ));
            }
            // The next check is not due yet.
            Some(OperationStatus::Pending) => return self.suspend().await,
            status => {
                // Each check is an attempt of its own: started (unless a check was under way
                // when the last invocation ended), from the state the last check recorded.
                if status != Some(OperationStatus::Started) {
                    self.record(self.update(&who, Action::Start), false).await;
                }
                match details.result {
                    Some(state) => self.decode(Some(&state)).await,
                    None => initial,
                }
            }
        };
        let attempt = attempts_made + 1;
        let failure = match check(state, StepContext::new(attempt)).await {
            Ok(state) => {
                let payload = self.encode(&state).await;
                match strategy.decide(&state, attempt) {
                    Ok(None) => {
                        let mut update = self.update(&who, Action::Succeed);
                        update.payload = Some(payload);
                        self.record(update, true).await;
                        return Ok(state);
                    }
                    Ok(Some(delay)) => {
                        let mut update = self.update(&who, Action::Retry);
                        update.payload = Some(payload);
                        update.options = UpdateOptions::Step {
                            next_attempt_delay_seconds: delay,
                        };
                        self.record(update, true).await;
                        return self.suspend().await;
                    }
                    Err(exhausted) => ErrorObject {
                        error_type: Some("WaitForConditionError".to_owned()),
                        error_message: Some(exhausted),
                        ..ErrorObject::default()
                    },
                }
            }
            // A failing check is not retried: the operation fails.
            Err(error) => DurableError::object_of(&error),
        };
        let mut update = self.update(&who, Action::Fail);
        update.error = Some(failure.clone());
        self.record(update, true).await;
        Err(DurableError::new("WaitForConditionError", failure))
    }
}
