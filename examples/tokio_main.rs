//! A program that already has a tokio runtime (`#[tokio::main]`, the multi-threaded one):
//! `run_async().await` serves on it. Handlers may `tokio::spawn` onto it.
//!
//! `cargo run --example tokio_main -- '{"n": 20}'`

use lambda_handler::lambda_handler;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Work {
    n: u64,
}

/// Spawns a task onto the program's own (multi-threaded) runtime and awaits it.
#[lambda_handler]
async fn spawns(event: Work) -> Value {
    let (doubled, worker) = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        (
            event.n * 2,
            std::thread::current().name().map(str::to_owned),
        )
    })
    .await
    .expect("the spawned task ran");
    json!({ "doubled": doubled, "worker": worker })
}

/// Stands in for what must flush when the program ends (a `tracing-appender` guard, an
/// OpenTelemetry provider): it writes "flushed" to the file `FLUSH_FILE` names when dropped.
struct FlushOnDrop;

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        if let Ok(path) = std::env::var("FLUSH_FILE") {
            let _ = std::fs::write(path, "flushed");
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Set up what needs the runtime first (tracing, clients, ...): it is dropped, and flushes,
    // when `main` returns the exit code `run_async` gives back.
    let _flush = FlushOnDrop;
    lambda_handler::run_async().await
}
