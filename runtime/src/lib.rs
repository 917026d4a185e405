//! AWS Lambda functions in Rust, written the way Python writes them: an ordinary function,
//! annotated once.
//!
//! ```no_run
//! use lambda_handler::{lambda_handler, Context};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Deserialize)]
//! struct Name { first_name: String, last_name: String }
//!
//! #[derive(Serialize)]
//! struct Greeting { message: String }
//!
//! #[lambda_handler]
//! fn my_handler(event: Name, ctx: &Context) -> Greeting {
//!     Greeting { message: format!("Hello {} {}!", event.first_name, event.last_name) }
//! }
//!
//! fn main() {
//!     lambda_handler::run()
//! }
//! ```
//!
//! [`run`] serves the Lambda Runtime API when `AWS_LAMBDA_RUNTIME_API` is set (on AWS, or
//! under an emulator), and otherwise invokes the handler locally from the command line.
//!
//! # Features
//!
//! - `serve` (off by default): `--serve`, a local Invoke API around the binary, for local
//!   development: `cargo run --features lambda-handler/serve -- --serve`. Off, the emulator's
//!   server is not in the binary, so the `bootstrap` a default build ships stays small.
//! - `tracing` (off by default): handlers log with `tracing::info!(..)` and the lines come out
//!   in Lambda's format (`AWS_LAMBDA_LOG_FORMAT` `Text` or `JSON`, `AWS_LAMBDA_LOG_LEVEL`),
//!   each with the invocation's request id; the runtime's own messages take the same path.
//!   [`run`] installs the subscriber unless the program installed its own.
//! - `http` (off by default): handlers over [`http::Request`] and [`http::Response`], for
//!   API Gateway (REST and HTTP APIs), function URLs, Application Load Balancers and VPC
//!   Lattice; see [`HttpSource`] and the README's "HTTP APIs".
//! - `tower` (off by default, implies `http`): `#[lambda_handler(service)] fn api() -> Router`,
//!   an axum `Router` (or any `tower::Service` over `http` types) as the handler, built once;
//!   [`call_service`] for a handler that routes a request itself.

#![warn(missing_docs, unreachable_pub)]

use std::process::ExitCode;

// The map: a folder per job, each below the ones that use it.
//
// - `handler`: the handler contract (what `#[lambda_handler]` generates against), the registry
//   of handlers, one call of a handler, and what it gets and gives (context, errors, streams).
// - `runtime_api`: the Lambda Runtime API's client, and posting an invocation's answer.
// - `loops`: the invocation loops that serve the Runtime API, one or many, and what they keep
//   between invocations (the trace-id variable, glibc's memory policy, SIGTERM).
// - `local`: running without Lambda: the command line, `--serve`, and `TestHandler`.
// - `http_events` (the `http` feature): an HTTP source's event as an `http::Request`, the
//   `http::Response` in that source's shape, and a `tower::Service` as a handler (`tower`).
// - `log`: log lines in Lambda's formats, under every other folder.
// - `durable` (the `durable` feature): durable functions: the replaying context, its
//   operations, and the durable-execution API client.
#[cfg(feature = "durable")]
pub mod durable;
mod handler;
#[cfg(feature = "http")]
mod http_events;
mod local;
mod log;
mod loops;
mod race;
mod runtime_api;

#[doc(hidden)]
pub mod __private;

pub use handler::context::{ClientApplication, ClientContext, CognitoIdentity, Context};
pub use handler::error::InvocationError;
pub use handler::streaming::Streaming;
#[cfg(feature = "tower")]
pub use http_events::{BoxError, call_service};
#[cfg(feature = "http")]
pub use http_events::{HttpContext, HttpSource, RequestBody, ResponseBody};
/// The `http` crate's types (`StatusCode`, `HeaderMap`, `header`, ...), as
/// [`Streaming::http_response`] takes them: the version this crate is built with.
pub use hyper::http;
#[doc = include_str!("lambda_handler.md")]
pub use lambda_handler_macros::lambda_handler;
pub use local::testing;

/// Runs the registered handler, and returns only by ending the process.
///
/// - With `AWS_LAMBDA_RUNTIME_API` set (on AWS Lambda, or under an emulator), serves
///   invocations from the Lambda Runtime API until the process is stopped. A start-up failure
///   (such as `_HANDLER` naming no handler) is reported to `/runtime/init/error` and the
///   process exits non-zero.
/// - Otherwise runs locally: `hello '{"key": "value"}'` invokes the handler once and prints
///   its JSON result; with no event argument, each line of standard input is one event and
///   each result is printed on its own line. `--serve [ADDR]` (with the `serve` feature)
///   serves Lambda's Invoke API on 127.0.0.1:9000, running this binary under the local
///   emulator as Lambda would. `--help` says more.
///
/// When a binary registers several handlers, `_HANDLER` (or `--handler NAME` locally) picks
/// one by its name.
///
/// Call it from a plain `fn main()`: it starts its own single-threaded tokio runtime. Called
/// inside one (`#[tokio::main]`), it says to use [`run_async`] instead, reports that to Lambda
/// as the init error (`Runtime.NestedRuntime`), and exits 1.
///
/// No failure of an invocation ends the process: a handler's error or panic, an event that
/// does not decode, a result that does not encode or is too large are each posted as the
/// invocation's error, and the loop asks for the next one. The Runtime API refusing an answer
/// (400 or 403: the invocation is already closed; 410: it timed out before the answer came) is
/// logged and the loop goes on; only what Lambda calls non-recoverable ends it: 403 or 500 on
/// `/next` (or any status but 200 and 204), 500 on an answer, or a Runtime API unreachable for
/// about 3.4 s. The README's "Failures" table lists every case. Each answer echoes the
/// `Lambda-Runtime-Invocation-Id` its `/next` carried, so that Lambda never gives an answer
/// to another attempt of the invocation; no body the Runtime API sends is ever logged whole.
///
/// With `AWS_LAMBDA_MAX_CONCURRENCY` above 1 (Lambda Managed Instances), that many invocation
/// loops serve at once, as tasks on worker threads (one per core, or
/// `LAMBDA_HANDLER_WORKERS`, each with a tokio runtime of its own), sharing the handler's init
/// state (which must be `Sync`; one that is not is served one invocation at a time, said in
/// one log line). Handler futures need not be `Send`; a synchronous handler's call holds its
/// worker, so a handler that waits on I/O should be `async`. `_X_AMZN_TRACE_ID` is then not set: read
/// [`Context::xray_trace_id`]. When Lambda says the environment is finished, the invocations
/// in flight are answered and the process exits 1. The README's "Many invocations at once"
/// says more.
///
/// Before each handler runs, `_X_AMZN_TRACE_ID` is set to the invocation's trace id (or
/// removed when it has none), as Lambda's other runtimes set it for AWS SDKs. Any thread may
/// read it meanwhile: each value read through `std::env` is one invocation's whole trace id,
/// or none, and memory stays flat however many trace ids go by. `LAMBDA_HANDLER_TRACE_ENV=off`
/// leaves the environment alone; [`Context::xray_trace_id`] always has the trace id.
///
/// Serving the Runtime API on glibc, the process keeps the memory handlers free for the next
/// invocation rather than returning it to the kernel (see "Memory between invocations" in
/// the README); `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_` or `GLIBC_TUNABLES` set in
/// the environment leave glibc as configured. This changes glibc's policy for the whole
/// process, which [`run`] owns; [`run_async`] leaves it alone.
///
/// On SIGTERM (with a `shutdown` hook), invocations in flight get half of Lambda's 500 ms
/// shutdown budget to be answered, and the hook the rest: a handler that never returns does
/// not keep the hook from running before Lambda's SIGKILL.
pub fn run() -> ! {
    #[cfg(feature = "tracing")]
    log::tracing_logs::install();
    if tokio::runtime::Handle::try_current().is_ok() {
        refuse_nested_runtime();
    }
    let code = match std::env::var_os(lambda_handler_protocol::env::RUNTIME_API) {
        Some(endpoint) => loops::serving::run(&endpoint),
        None => local::command_line::run(std::env::args_os().skip(1)),
    };
    std::process::exit(code)
}

/// [`run`] for a program that already runs a tokio runtime: serves on it, and returns the exit
/// code for `main` to return, so that `main`'s destructors run (a `tracing-appender` guard or an
/// OpenTelemetry provider flushes there).
///
/// ```no_run
/// # use lambda_handler::lambda_handler;
/// # #[lambda_handler] fn h(event: u8) -> u8 { event }
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     // Set up what needs the runtime first (tracing, clients, ...), then:
///     lambda_handler::run_async().await
/// }
/// ```
///
/// The loop runs inside a `tokio::task::LocalSet` on the calling task, so handlers' futures
/// need not be `Send`, and both `tokio::spawn` (onto your runtime) and
/// `tokio::task::spawn_local` work in handlers. The returned future is not `Send`: await it
/// in `main` (or `block_on`), not in a spawned task. Everything else is as [`run`] does it,
/// but one: the process is your program's, so glibc's memory policy is left as it is (where
/// [`run`] keeps freed memory for the next invocation, see "Memory between invocations" in the
/// README). To have it here, set `MALLOC_MMAP_THRESHOLD_=33554432` and
/// `MALLOC_TRIM_THRESHOLD_=67108864` in the function's environment.
pub async fn run_async() -> ExitCode {
    #[cfg(feature = "tracing")]
    log::tracing_logs::install();
    let code = match std::env::var_os(lambda_handler_protocol::env::RUNTIME_API) {
        Some(endpoint) => loops::serving::run_on_current(&endpoint).await,
        None => local::command_line::run_on_current(std::env::args_os().skip(1)).await,
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// `run()` inside a tokio runtime (`#[tokio::main] async fn main() { lambda_handler::run() }`,
/// the habit lambda_runtime users bring) would panic starting its own runtime: say what to
/// write instead, report it to Lambda as the init error, and exit.
fn refuse_nested_runtime() -> ! {
    let error = InvocationError::new(
        lambda_handler_protocol::error_types::RUNTIME_NESTED_RUNTIME,
        "lambda_handler::run() was called inside a tokio runtime (`#[tokio::main]`?), and it \
         starts its own: keep your runtime and write `lambda_handler::run_async().await`, or \
         call `lambda_handler::run()` from a plain `fn main()`",
    );
    match std::env::var_os(lambda_handler_protocol::env::RUNTIME_API) {
        // Reported (and logged, once) on a thread of its own: this one is inside a runtime,
        // where no other can start.
        Some(endpoint) => {
            let reported =
                std::thread::spawn(move || loops::event_loop::report_init_error(&endpoint, &error));
            let _ = reported.join();
        }
        None => log::log!(Error, "{}", error.error_message),
    }
    std::process::exit(1)
}
