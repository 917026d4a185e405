//! The Managed Instances handlers on lambda_runtime's `run_concurrent`, picked by `_HANDLER`:
//! the seed greeting, an async 20 ms wait, and about 200 µs of CPU (in an async handler, as
//! `run_concurrent` takes only those). The same three are in `ours/src/mi.rs`.

use std::time::Duration;

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Deserialize)]
struct Name {
    first_name: String,
    last_name: String,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
}

async fn greet(event: LambdaEvent<Name>) -> Result<Greeting, Error> {
    let name = event.payload;
    Ok(Greeting {
        message: format!("Hello {} {}!", name.first_name, name.last_name),
    })
}

async fn sleep(_event: LambdaEvent<Value>) -> Result<u32, Error> {
    tokio::time::sleep(Duration::from_millis(20)).await;
    Ok(20)
}

async fn spin(_event: LambdaEvent<Value>) -> Result<u64, Error> {
    Ok(work())
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

#[tokio::main]
async fn main() -> Result<(), Error> {
    match std::env::var("_HANDLER").as_deref() {
        Ok("sleep") => lambda_runtime::run_concurrent(service_fn(sleep)).await,
        Ok("spin") => lambda_runtime::run_concurrent(service_fn(spin)).await,
        _ => lambda_runtime::run_concurrent(service_fn(greet)).await,
    }
}
