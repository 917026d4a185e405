//! How a failed step is tried again: the strategy (attempts, delays, which errors) and the
//! step's semantics, as AWS's SDKs define them (`aws_durable_execution_sdk_python/retries.py`,
//! `config.py`): the delay before attempt n+1 is `initial * rate^(n-1)`, capped at `max`,
//! jittered, rounded up to whole seconds and at least one.

use std::hash::{BuildHasher, Hasher, RandomState};
use std::sync::Arc;
use std::time::Duration;

use super::error::DurableError;

/// How much randomness a retry delay gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// The computed delay.
    None,
    /// Between half the delay and the delay.
    Half,
    /// Between zero and the delay (the default: retries of many executions spread out).
    Full,
}

/// Which errors a strategy retries, when not all.
type RetryIf = Arc<dyn Fn(&DurableError) -> bool + Send + Sync>;

/// When a failed step runs again. The default, as AWS's SDKs: 6 attempts, 5 s first delay,
/// doubling, at most 60 s, full jitter.
#[derive(Clone)]
pub struct RetryStrategy {
    max_attempts: u32,
    backoff: Backoff,
    retry_if: Option<RetryIf>,
}

impl Default for RetryStrategy {
    fn default() -> Self {
        RetryStrategy {
            max_attempts: 6,
            backoff: Backoff {
                initial: Duration::from_secs(5),
                max: Duration::from_secs(60),
                rate: 2.0,
                jitter: Jitter::Full,
            },
            retry_if: None,
        }
    }
}

impl std::fmt::Debug for RetryStrategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryStrategy")
            .field("max_attempts", &self.max_attempts)
            .field("backoff", &self.backoff)
            .field("retry_if", &self.retry_if.is_some())
            .finish()
    }
}

impl RetryStrategy {
    /// One attempt: a failure is final.
    pub fn none() -> Self {
        RetryStrategy {
            max_attempts: 1,
            ..RetryStrategy::default()
        }
    }

    /// At most `attempts` attempts in all (the first included).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delay before the second attempt.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.backoff.initial = delay;
        self
    }

    /// The longest delay between attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.backoff.max = delay;
        self
    }

    /// How much each delay grows over the one before.
    pub fn backoff_rate(mut self, rate: f64) -> Self {
        self.backoff.rate = rate;
        self
    }

    /// The randomness of each delay.
    pub fn jitter(mut self, jitter: Jitter) -> Self {
        self.backoff.jitter = jitter;
        self
    }

    /// Retries only the errors `retryable` accepts (by [`DurableError::error_type`], say).
    pub fn retry_if(
        mut self,
        retryable: impl Fn(&DurableError) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.retry_if = Some(Arc::new(retryable));
        self
    }

    /// The delay before the next attempt after `attempts_made` failed ones, or `None` to
    /// give up.
    pub(crate) fn decide(&self, error: &DurableError, attempts_made: u32) -> Option<u32> {
        if attempts_made >= self.max_attempts {
            return None;
        }
        if let Some(retryable) = &self.retry_if
            && !retryable(error)
        {
            return None;
        }
        Some(self.backoff.delay(attempts_made))
    }
}

/// How long to wait after a failed attempt or an unmet condition: `initial * rate^(n-1)`
/// after `n` attempts, capped at `max`, jittered, rounded up to whole seconds, at least one
/// (`finalize_delay` in the Python SDK). Retries and `wait_for_condition`'s polls both wait
/// this way.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Backoff {
    pub(crate) initial: Duration,
    pub(crate) max: Duration,
    pub(crate) rate: f64,
    pub(crate) jitter: Jitter,
}

impl Backoff {
    /// The delay after `attempts_made` attempts, in whole seconds.
    pub(crate) fn delay(&self, attempts_made: u32) -> u32 {
        let exponent = i32::try_from(attempts_made.saturating_sub(1)).unwrap_or(i32::MAX);
        let base =
            (self.initial.as_secs_f64() * self.rate.powi(exponent)).min(self.max.as_secs_f64());
        let delay = match self.jitter {
            Jitter::None => base,
            Jitter::Half => base / 2.0 + random_unit() * (base / 2.0),
            Jitter::Full => random_unit() * base,
        };
        // Whole seconds, one to a year: the service's `NextAttemptDelaySeconds`.
        let most = f64::from(lambda_handler_protocol::durable::MAX_WAIT_SECONDS);
        delay.ceil().clamp(1.0, most) as u32
    }
}

/// A number in [0, 1) from std's per-process random hasher keys: jitter needs spread, not
/// cryptographic quality.
fn random_unit() -> f64 {
    let bits = RandomState::new().build_hasher().finish() >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// How often a step's code may run per attempt.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StepSemantics {
    /// The code may run again if the invocation ends before its result is recorded (the
    /// default; the start is recorded together with the result).
    #[default]
    AtLeastOncePerRetry,
    /// The start is recorded before the code runs; a step found started but not finished
    /// was interrupted, and counts as a failed attempt.
    AtMostOncePerRetry,
}

/// A step's options.
#[derive(Clone, Debug, Default)]
pub struct StepConfig {
    pub(crate) retry: RetryStrategy,
    pub(crate) semantics: StepSemantics,
}

impl StepConfig {
    /// The default: [`RetryStrategy::default`], at least once per retry.
    pub fn new() -> Self {
        StepConfig::default()
    }

    /// When a failed attempt runs again.
    pub fn retry(mut self, retry: RetryStrategy) -> Self {
        self.retry = retry;
        self
    }

    /// How often the code may run per attempt.
    pub fn semantics(mut self, semantics: StepSemantics) -> Self {
        self.semantics = semantics;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::durable::model::ErrorObject;

    fn error(ty: &str) -> DurableError {
        DurableError::new(
            "StepError",
            ErrorObject {
                error_type: Some(ty.to_owned()),
                ..ErrorObject::default()
            },
        )
    }

    #[test]
    fn delays_grow_by_the_rate_up_to_the_cap_and_stop_at_the_attempt_limit() {
        let strategy = RetryStrategy::default()
            .max_attempts(5)
            .initial_delay(Duration::from_secs(2))
            .backoff_rate(3.0)
            .max_delay(Duration::from_secs(20))
            .jitter(Jitter::None);
        let delays: Vec<_> = (1..=5).map(|n| strategy.decide(&error("E"), n)).collect();
        assert_eq!(delays, [Some(2), Some(6), Some(18), Some(20), None]);
    }

    #[test]
    fn a_delay_is_at_most_what_the_api_takes() {
        let strategy = RetryStrategy::default()
            .initial_delay(Duration::from_secs(u64::from(u32::MAX)))
            .max_delay(Duration::from_secs(u64::from(u32::MAX)))
            .jitter(Jitter::None);
        assert_eq!(
            strategy.decide(&error("E"), 1),
            Some(lambda_handler_protocol::durable::MAX_WAIT_SECONDS)
        );
    }

    #[test]
    fn jitter_stays_within_its_bounds_and_a_delay_is_at_least_one_second() {
        let full = RetryStrategy::default().jitter(Jitter::Full);
        let half = RetryStrategy::default().jitter(Jitter::Half);
        for _ in 0..200 {
            let d = full.decide(&error("E"), 2).unwrap();
            assert!((1..=10).contains(&d), "{d}");
            let d = half.decide(&error("E"), 2).unwrap();
            assert!((5..=10).contains(&d), "{d}");
        }
        assert_eq!(RetryStrategy::none().decide(&error("E"), 1), None);
    }

    #[test]
    fn retry_if_filters_by_the_error() {
        let strategy = RetryStrategy::default().retry_if(|e| e.error_type() == Some("Transient"));
        assert!(strategy.decide(&error("Transient"), 1).is_some());
        assert!(strategy.decide(&error("Fatal"), 1).is_none());
    }
}
