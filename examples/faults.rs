//! Handlers that misbehave, to see (and test) how each failure reaches the caller.
//! `_HANDLER` or `--handler` picks one: `cargo run --example faults -- --handler panics '{}'`

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use lambda_handler::{InvocationError, lambda_handler};
use serde_json::Value;

/// Panics in a synchronous handler are caught and reported; the process serves on.
#[lambda_handler]
fn panics(event: Value) -> Value {
    panic!("handler exploded on {event}")
}

/// So are panics in an async handler, across an await.
#[lambda_handler]
async fn panics_async(event: Value) -> Value {
    std::future::ready(()).await;
    panic!("async handler exploded on {event}")
}

#[derive(Debug)]
struct ConfigMissing;

impl fmt::Display for ConfigMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TABLE_NAME is not set")
    }
}

impl std::error::Error for ConfigMissing {}

#[derive(Debug)]
struct StartupFailed(ConfigMissing);

impl fmt::Display for StartupFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("cannot open the table")
    }
}

impl std::error::Error for StartupFailed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// An error with a `source()`: the chain is the `stackTrace`.
#[lambda_handler]
fn error_chain(_event: Value) -> Result<Value, StartupFailed> {
    Err(StartupFailed(ConfigMissing))
}

/// A boxed error keeps its chain too.
#[lambda_handler]
fn boxed_error(_event: Value) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    Err(Box::new(StartupFailed(ConfigMissing)))
}

/// An error type that chooses its own `errorType`.
#[derive(Debug)]
struct Invalid(String);

impl From<Invalid> for InvocationError {
    fn from(error: Invalid) -> Self {
        InvocationError::new("ValidationError", format!("invalid input: {}", error.0))
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[lambda_handler]
fn validates(event: Value) -> Result<Value, Invalid> {
    Err(Invalid(event.to_string()))
}

/// A map with non-string keys serializes in Rust's type system but not as JSON.
#[lambda_handler]
fn unserializable(_event: Value) -> HashMap<(u8, u8), u8> {
    HashMap::from([((1, 2), 3)])
}

/// Sleeps for the event's number of milliseconds, then returns it.
#[lambda_handler]
fn sleeps(event: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(event));
    event
}

/// A string response of the event's number of bytes (as JSON, two more for the quotes).
#[lambda_handler]
fn big(event: usize) -> String {
    "x".repeat(event)
}

/// Writes "ran" to the file the event names: a side effect to see that an `Event`
/// (asynchronous) invocation ran.
#[lambda_handler]
fn touch(event: String) -> std::io::Result<()> {
    std::fs::write(event, "ran")
}

/// Ends the process in the middle of an invocation.
#[lambda_handler]
fn exits(event: i32) {
    std::process::exit(event)
}

/// The event as it came.
#[lambda_handler]
fn echo(event: Value) -> Value {
    event
}

fn main() {
    lambda_handler::run()
}
