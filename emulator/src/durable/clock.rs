//! The service's clock: the wall clock, or with `--skip-time` one that jumps ahead over the
//! waits the service itself runs (a `wait`, a step's retry delay, an invocation's retry), as
//! `dex-local-runner --skip-time` does, so a month-long workflow's test runs in seconds while
//! its history still records the durations the workflow asked for.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

pub(crate) struct Clock {
    skip: bool,
    /// How far the skipped waits have moved this clock ahead of the wall clock.
    ahead: Mutex<Duration>,
}

impl Clock {
    pub(crate) fn new(skip: bool) -> Self {
        Clock {
            skip,
            ahead: Mutex::new(Duration::ZERO),
        }
    }

    pub(crate) fn now(&self) -> SystemTime {
        SystemTime::now() + *self.ahead.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `at` on this clock. A callback's deadline (`skippable` false) always takes
    /// its time: an outside system answers it.
    pub(crate) async fn sleep_until(&self, at: SystemTime, skippable: bool) {
        let Ok(left) = at.duration_since(self.now()) else {
            return;
        };
        if self.skip && skippable {
            *self.ahead.lock().unwrap_or_else(|p| p.into_inner()) += left;
            return;
        }
        tokio::time::sleep(left).await;
    }
}

/// Seconds since the epoch, to the millisecond: how the API's JSON carries a timestamp
/// (`ExecutionTimestamp`, a number in restJson1).
pub(crate) fn seconds(time: SystemTime) -> f64 {
    let ms = time
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis();
    ms as f64 / 1000.0
}

/// A timestamp as the API's JSON carries it.
pub(crate) fn timestamp(time: SystemTime) -> Value {
    json!(seconds(time))
}
