//! The entry points: `run()` from a plain `main`, `run_async().await` on a program's own tokio
//! runtime, and `run()` inside a runtime refused with advice rather than a panic.

use std::process::Command;
use std::time::Duration;

use lambda_handler_protocol::headers;
use lambda_handler_tests::{API, Binary, Event, RuntimeApi};
use serde_json::{Value, json};

static TOKIO_MAIN: Binary = Binary::example("tokio_main");
static NESTED: Binary = Binary::example("nested_runtime");
const WAIT: Duration = Duration::from_secs(30);

#[test]
fn run_async_serves_on_the_programs_own_runtime() {
    let api = RuntimeApi::start();
    let mut process = api.spawn(TOKIO_MAIN.path(), &[]);
    for i in 0..20 {
        api.push(Event::new(format!("a-{i}"), format!(r#"{{"n":{i}}}"#)));
    }
    let answers = api.wait_for_accepted(20, WAIT);
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer.json()["doubled"], json!(i * 2));
    }
    // The spawned tasks ran on `#[tokio::main]`'s worker threads, not on the main thread
    // where the loop runs.
    for answer in &answers {
        let worker = answer.json()["worker"].clone();
        assert!(worker.as_str().is_some_and(|w| w != "main"), "{worker}");
    }
    assert!(process.is_running());
}

#[test]
fn run_async_runs_locally_too() {
    let out = Command::new(TOKIO_MAIN.path())
        .arg(r#"{"n":21}"#)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let body: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(body["doubled"], 42);
}

/// `run_async` gives the exit code back to `main`, whose destructors then run: what a program
/// flushes when it ends is flushed, locally and when Lambda ends the environment.
#[test]
fn run_async_returns_so_that_mains_destructors_run() {
    let flushed = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("tokio-main-flushed-{}", std::process::id()));
    let _ = std::fs::remove_file(&flushed);
    let out = Command::new(TOKIO_MAIN.path())
        .arg(r#"{"n":1}"#)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env("FLUSH_FILE", &flushed)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&flushed).unwrap(), "flushed");
    std::fs::remove_file(&flushed).unwrap();
    // Lambda ends the environment (500 on `/next`): exit 1, after `main`'s destructors.
    let api = RuntimeApi::start();
    api.fault(
        lambda_handler_tests::Route::Next,
        lambda_handler_tests::Fault::Status(500),
    );
    let mut process = api.spawn(
        TOKIO_MAIN.path(),
        &[("FLUSH_FILE", flushed.to_str().unwrap())],
    );
    let (code, stderr) = process.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(std::fs::read_to_string(&flushed).unwrap(), "flushed");
}

#[test]
fn run_inside_a_runtime_says_what_to_write_and_reports_it() {
    let api = RuntimeApi::start();
    let mut process = api.spawn(NESTED.path(), &[]);
    let (code, stderr) = process.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 1);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("write `lambda_handler::run_async().await`"),
        "{stderr}"
    );
    let reported = api.wait_for(1, WAIT);
    assert_eq!(reported[0].path, format!("{API}/init/error"));
    assert_eq!(
        reported[0].header(headers::FUNCTION_ERROR_TYPE),
        Some("Runtime.NestedRuntime")
    );
    assert_eq!(api.next_requests(), 0);
    // Said once.
    assert_eq!(
        stderr.matches("was called inside a tokio runtime").count(),
        1,
        "{stderr}"
    );

    // Locally, the same advice and exit status.
    let out = Command::new(NESTED.path())
        .arg(r#""x""#)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("run_async().await"));
}
