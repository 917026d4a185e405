//! Handlers that misbehave, to see (and test) how each failure reaches the caller.
//! `_HANDLER` or `--handler` picks one: `cargo run --example faults -- --handler panics '{}'`

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use lambda_handler::{Context, InvocationError, lambda_handler};
use serde_json::Value;

/// Panics in a synchronous handler are caught and reported; the process serves on.
#[lambda_handler]
fn panics(event: Value) -> Value {
    panic!("handler exploded on {event}")
}

/// A panic whose payload panics again when it is dropped: reported as any panic, and the
/// process serves on.
#[lambda_handler]
fn panics_twice(_event: Value) -> Value {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("the panic's payload panicked when dropped");
        }
    }
    std::panic::panic_any(Bomb)
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
/// (asynchronous) invocation ran. It first waits (up to 20 s) for the file `<event>.go` to
/// exist, so a test can hold the handler running for as long as it needs.
#[lambda_handler]
fn touch(event: String) -> std::io::Result<()> {
    let gate = format!("{event}.go");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !std::path::Path::new(&gate).exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::fs::write(event, "ran")
}

/// Prints the event's number of lines, each `line N` padded to 100 bytes: more than a
/// 4 KB log tail holds.
#[lambda_handler]
fn prints(event: usize) -> usize {
    for line in 0..event {
        println!("{:<99}", format!("line {line}"));
    }
    event
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

/// What a thread reading `_X_AMZN_TRACE_ID` all the time saw: as the AWS SDK's recursion
/// detection reads it, from any thread, at any moment.
#[derive(Default)]
struct TraceReads {
    reads: AtomicU64,
    absent: AtomicU64,
    /// Values that are no whole trace id of the shape the tests send (see `well_formed`).
    torn: AtomicU64,
    first_torn: Mutex<Option<String>>,
}

/// Starts the reading thread; it runs as long as the process.
fn read_trace_env_forever() -> &'static TraceReads {
    let reads: &'static TraceReads = Box::leak(Box::default());
    std::thread::spawn(move || {
        loop {
            match std::env::var("_X_AMZN_TRACE_ID") {
                Ok(value) if well_formed(&value) => {}
                Err(std::env::VarError::NotPresent) => {
                    reads.absent.fetch_add(1, Ordering::Relaxed);
                }
                torn => {
                    reads.torn.fetch_add(1, Ordering::Relaxed);
                    reads
                        .first_torn
                        .lock()
                        .unwrap()
                        .get_or_insert(format!("{torn:?}"));
                }
            }
            reads.reads.fetch_add(1, Ordering::Relaxed);
        }
    });
    reads
}

/// The tests' trace ids check themselves: `Root=1-{n:08x}-{pad};Len={len:04}`, where `pad` is
/// one letter (chosen by `n`) repeated, and `len` is the whole value's length. A value that
/// mixes two ids, or is cut short, fails one of the three.
fn well_formed(value: &str) -> bool {
    let parse = || -> Option<bool> {
        let rest = value.strip_prefix("Root=1-")?;
        let (n, rest) = rest.split_once('-')?;
        let (pad, len) = rest.split_once(";Len=")?;
        let n = u64::from_str_radix(n, 16).ok()?;
        let letter = char::from(b'a' + (n % 26) as u8);
        Some(pad.chars().all(|c| c == letter) && len.parse::<usize>().ok()? == value.len())
    };
    parse().unwrap_or(false)
}

#[derive(serde::Deserialize)]
struct TraceEnvStep {
    /// Set the variable to this before answering, as user code might.
    #[serde(default)]
    set: Option<String>,
    /// Remove the variable before answering.
    #[serde(default)]
    remove: bool,
}

/// The variable as this invocation sees it, and what the reading thread saw so far; with
/// `set`/`remove`, changes the variable itself afterwards, as user code might.
#[lambda_handler(init = read_trace_env_forever)]
fn trace_env(step: TraceEnvStep, ctx: &Context, reads: &&'static TraceReads) -> Value {
    let seen = std::env::var("_X_AMZN_TRACE_ID").ok();
    // SAFETY (of the test fixture): the runtime's own writes happen between invocations on
    // this thread, and the reading thread reads through `std::env` only.
    if let Some(value) = &step.set {
        unsafe { std::env::set_var("_X_AMZN_TRACE_ID", value) };
    }
    if step.remove {
        unsafe { std::env::remove_var("_X_AMZN_TRACE_ID") };
    }
    serde_json::json!({
        "env": seen,
        "trace_id": ctx.xray_trace_id,
        "reads": reads.reads.load(Ordering::Relaxed),
        "absent": reads.absent.load(Ordering::Relaxed),
        "torn": reads.torn.load(Ordering::Relaxed),
        "first_torn": *reads.first_torn.lock().unwrap(),
    })
}

fn main() {
    lambda_handler::run()
}
