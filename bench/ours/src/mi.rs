//! The Managed Instances handlers on lambda-handler (`AWS_LAMBDA_MAX_CONCURRENCY`), picked by
//! `_HANDLER`: the seed greeting, an async 20 ms wait, and about 200 µs of CPU. The same three
//! are in `lambda-runtime-mi/`, on lambda_runtime's `run_concurrent`.

use std::time::Duration;

use lambda_handler::lambda_handler;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Name {
    first_name: String,
    last_name: String,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
}

#[lambda_handler]
fn greet(event: Name) -> Greeting {
    Greeting {
        message: format!("Hello {} {}!", event.first_name, event.last_name),
    }
}

/// Waits 20 ms, as a call to another service would.
#[lambda_handler]
async fn sleep(_event: serde_json::Value) -> u32 {
    tokio::time::sleep(Duration::from_millis(20)).await;
    20
}

/// About 200 µs of arithmetic on this VM: a handler whose own work dominates.
#[lambda_handler]
fn spin(_event: serde_json::Value) -> u64 {
    work()
}

/// The CPU-bound handlers' work, the same code in both benches.
fn work() -> u64 {
    let mut x = std::hint::black_box(0x9E37_79B9_7F4A_7C15_u64);
    for i in 0..100_000_u64 {
        x = (x ^ (x >> 31))
            .wrapping_mul(0xBF58_476D_1CE4_E5B9)
            .wrapping_add(i);
    }
    x
}

fn main() {
    lambda_handler::run()
}
