//! Many invocations at once in one process, as Lambda Managed Instances send them: with
//! `AWS_LAMBDA_MAX_CONCURRENCY=8` the runtime runs eight invocation loops, each on a thread of
//! its own, sharing the state `init` built once. Nothing in the handler changes; the state must
//! be `Sync` to be shared (atomics, `Mutex`, SDK clients are).
//!
//! Locally, `--serve --concurrency 8` does the same behind the Invoke API:
//! `cargo run --example concurrent -- --serve --concurrency 8`

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lambda_handler::{Context, lambda_handler};
use serde::Deserialize;
use serde_json::{Value, json};

/// What every invocation shares: in a real function, SDK clients and connection pools.
struct Shared {
    served: AtomicU64,
    /// Invocations running right now, and the most seen at once.
    running: AtomicU64,
    most_at_once: AtomicU64,
}

fn build() -> Shared {
    Shared {
        served: AtomicU64::new(0),
        running: AtomicU64::new(0),
        most_at_once: AtomicU64::new(0),
    }
}

#[derive(Deserialize)]
struct Work {
    id: u64,
    #[serde(default)]
    sleep_ms: u64,
    #[serde(default)]
    panic: bool,
}

/// Counts itself running while it sleeps (as a handler waiting on a database would).
struct Running<'a>(&'a Shared);

impl<'a> Running<'a> {
    fn start(shared: &'a Shared) -> Self {
        let now = shared.running.fetch_add(1, Ordering::SeqCst) + 1;
        shared.most_at_once.fetch_max(now, Ordering::SeqCst);
        Running(shared)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

fn answer(work: &Work, ctx: &Context, shared: &Shared) -> Value {
    json!({
        "id": work.id,
        "request_id": ctx.request_id,
        "served": shared.served.fetch_add(1, Ordering::SeqCst) + 1,
        "most_at_once": shared.most_at_once.load(Ordering::SeqCst),
        "thread": std::thread::current().name().unwrap_or("main"),
        "pid": std::process::id(),
        // Unset with several loops: one environment cannot carry each invocation's trace id.
        "trace_env": std::env::var("_X_AMZN_TRACE_ID").ok(),
        "trace_id": ctx.xray_trace_id,
    })
}

/// Async: waits without a thread, as most handlers wait on the network.
#[lambda_handler(init = build)]
async fn wait(work: Work, ctx: &Context, shared: &Shared) -> Value {
    // Written with this invocation's request id, whichever loop runs it.
    tracing::info!(id = work.id, "waiting {} ms", work.sleep_ms);
    let running = Running::start(shared);
    tokio::time::sleep(Duration::from_millis(work.sleep_ms)).await;
    assert!(!work.panic, "asked to panic (invocation {})", work.id);
    drop(running);
    answer(&work, ctx, shared)
}

/// Synchronous: blocks its own loop's thread, and only that one.
#[lambda_handler(init = build)]
fn block(work: Work, ctx: &Context, shared: &Shared) -> Value {
    let running = Running::start(shared);
    std::thread::sleep(Duration::from_millis(work.sleep_ms));
    assert!(!work.panic, "asked to panic (invocation {})", work.id);
    drop(running);
    answer(&work, ctx, shared)
}

/// A state that is not `Sync` (a `Cell`): the runtime serves it one invocation at a time,
/// whatever the concurrency, and says so once in the log.
struct Tally {
    served: Cell<u64>,
}

fn build_tally() -> Tally {
    Tally {
        served: Cell::new(0),
    }
}

#[lambda_handler(init = build_tally)]
async fn tally(work: Work, tally: &Tally) -> Value {
    tokio::time::sleep(Duration::from_millis(work.sleep_ms)).await;
    tally.served.set(tally.served.get() + 1);
    json!({"id": work.id, "served": tally.served.get()})
}

fn main() {
    lambda_handler::run()
}
