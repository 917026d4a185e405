//! A shutdown hook: when Lambda ends the execution environment it sends SIGTERM (when
//! extensions are registered, and on Managed Instances), and the hook runs, with the state
//! `init` built, within Lambda's 500 ms; the process then exits 0. Here it flushes a count to
//! the file `FLUSH_FILE` names (a line a flush), as a real function would flush metrics or traces.

use std::sync::atomic::{AtomicU32, Ordering};

use lambda_handler::lambda_handler;

struct Metrics {
    served: AtomicU32,
}

fn open_metrics() -> Metrics {
    Metrics {
        served: AtomicU32::new(0),
    }
}

async fn flush(metrics: &Metrics) {
    // Awaited, as a client's flush would be; `FLUSH_DELAY_MS` makes it a slow one.
    let delay = std::env::var("FLUSH_DELAY_MS").map_or(1, |ms| ms.parse().unwrap_or(1));
    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    let served = metrics.served.load(Ordering::SeqCst);
    if let Ok(path) = std::env::var("FLUSH_FILE") {
        // Appended, one line a flush: a hook that ran twice would leave two.
        let line = format!("served {served}, pid {}\n", std::process::id());
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path);
        let _ = file.and_then(|mut file| std::io::Write::write_all(&mut file, line.as_bytes()));
    }
}

/// Counts its invocations; an event `{"hang_ms": N}` first blocks for N ms, as a handler stuck
/// on a call without a timeout would.
#[lambda_handler(init = open_metrics, shutdown = flush)]
fn count(event: serde_json::Value, metrics: &Metrics) -> u32 {
    if let Some(ms) = event["hang_ms"].as_u64() {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    metrics.served.fetch_add(1, Ordering::SeqCst) + 1
}

fn main() {
    lambda_handler::run()
}
