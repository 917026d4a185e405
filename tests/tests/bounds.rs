//! Bounded, whatever a handler or the Runtime API does: a handler that never returns, a
//! deadline centuries away, a panic that panics again.

use std::time::{Duration, Instant};

use lambda_handler_protocol::env::MAX_CONCURRENCY;
use lambda_handler_protocol::headers;
use lambda_handler_tests::{Binary, Event, Fault, Route, RuntimeApi};
use serde_json::json;

static CONTEXT: Binary = Binary::example("context");
static FAULTS: Binary = Binary::example("faults");
static SHUTDOWN: Binary = Binary::example("shutdown");
const WAIT: Duration = Duration::from_secs(30);

/// `Lambda-Runtime-Deadline-Ms` of `u64::MAX` would make `remaining_time()` 584 million years,
/// and `Instant::now() + ctx.remaining_time()` panic: it is taken as Lambda's longest timeout.
#[test]
fn a_deadline_past_lambdas_longest_timeout_is_clamped_to_it() {
    let api = RuntimeApi::start();
    let _context = api.spawn(CONTEXT.path(), &[]);
    api.push(Event::new("far-1", "{}").header(headers::DEADLINE_MS, &u64::MAX.to_string()));
    let remaining = api.wait_for_accepted(1, WAIT)[0].json()["remaining_ms"].clone();
    let remaining = remaining.as_u64().unwrap();
    assert!(
        (895_000..=900_000).contains(&remaining),
        "{remaining} ms remaining"
    );
}

/// A panic whose payload panics again when dropped is reported as the invocation's
/// `Runtime.Panic`, and the loop serves on (it used to unwind out of the runtime and end it).
#[test]
fn a_panic_that_panics_again_when_dropped_is_reported_and_the_loop_goes_on() {
    for concurrency in ["1", "2"] {
        let api = RuntimeApi::start_concurrent(2);
        let _faults = api.spawn(
            FAULTS.path(),
            &[("_HANDLER", "panics_twice"), (MAX_CONCURRENCY, concurrency)],
        );
        for i in 0..4 {
            api.push(Event::new(format!("bomb-{i}"), "{}"));
        }
        let answers = api.wait_for_accepted(4, WAIT);
        for answer in &answers {
            assert!(answer.path.ends_with("/error"), "{}", answer.path);
            assert_eq!(answer.json()["errorType"], "Runtime.Panic");
        }
    }
}

/// SIGTERM while a handler never returns, with several loops: the invocations in flight get
/// half of Lambda's 500 ms shutdown budget, the hook runs in the rest, and the process exits 0
/// before Lambda's SIGKILL would come.
#[cfg(unix)]
#[test]
fn sigterm_with_a_hung_handler_runs_the_hook_within_lambdas_budget() {
    let flushed = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hung-flushed-{}", std::process::id()));
    let _ = std::fs::remove_file(&flushed);
    let api = RuntimeApi::start_concurrent(4);
    let mut process = api.spawn(
        SHUTDOWN.path(),
        &[
            ("FLUSH_FILE", flushed.to_str().unwrap()),
            (MAX_CONCURRENCY, "4"),
        ],
    );
    api.push(Event::new("quick-1", "{}"));
    api.wait_for_accepted(1, WAIT);
    api.push(Event::new(
        "hung-2",
        json!({"hang_ms": 600_000}).to_string(),
    ));
    // Handed out: the handler is running (and will for ten minutes).
    let deadline = Instant::now() + WAIT;
    while api.in_flight() != ["hung-2"] {
        assert!(
            Instant::now() < deadline,
            "the hung invocation was never taken"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let signalled = Instant::now();
    let pid = process.pid();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let (code, stderr) = process.wait_exit(WAIT).expect("the process exits");
    let took = signalled.elapsed();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        took < Duration::from_millis(1500),
        "exited {took:?} after SIGTERM"
    );
    let written = std::fs::read_to_string(&flushed).unwrap();
    assert_eq!(
        written,
        format!("served 1, pid {pid}\n"),
        "the hook ran once"
    );
    assert!(
        stderr.contains("1 invocations still running after 250 ms"),
        "{stderr}"
    );
}

/// With several loops, one loop reading an invocation whose reply has begun (its status, its
/// request id, half its body) when another loop's `/next` says the environment is finished:
/// the invocation was handed out, so it is read whole and answered before the process exits.
#[test]
fn an_invocation_half_read_when_the_loops_stop_is_answered() {
    static CONCURRENT: Binary = Binary::example("concurrent");
    let api = RuntimeApi::start_concurrent(4);
    api.push(Event::new(
        "half-read-1",
        json!({"id": 1, "pad": "p".repeat(100_000)}).to_string(),
    ));
    // The first `/next` gets the invocation, its body's second half 300 ms late; the second,
    // 100 ms in, gets 500: the environment is finished.
    api.fault(Route::Next, Fault::SlowBody(Duration::from_millis(300)));
    api.fault(
        Route::Next,
        Fault::DelayedStatus(500, Duration::from_millis(100)),
    );
    let mut process = api.spawn(
        CONCURRENT.path(),
        &[("_HANDLER", "wait"), (MAX_CONCURRENCY, "4")],
    );
    let (code, stderr) = process.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 1, "{stderr}");
    let answers = api.received();
    assert_eq!(answers.len(), 1, "{answers:#?}\n{stderr}");
    assert_eq!(answers[0].status, 202, "{stderr}");
    assert_eq!(answers[0].json()["id"], 1);
}

/// A body the Runtime API sends with a status that is not an invocation (here 429 and 8 MB,
/// as an event sent with the wrong status would be) is never logged whole: one line with its
/// length and an escaped start.
#[test]
fn a_large_error_body_from_the_runtime_api_is_logged_in_one_bounded_line() {
    let api = RuntimeApi::start();
    api.fault(Route::Next, Fault::LargeStatus(429, 8 << 20));
    let mut process = api.spawn(CONTEXT.path(), &[]);
    let (code, stderr) = process.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.len() < 2048, "{} bytes of log", stderr.len());
    let line = stderr
        .lines()
        .find(|l| l.contains("429"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.contains("(8388608 bytes)"), "{line}");
    assert!(line.contains(r#"{\"errorMessage\":\"large\""#), "{line}");
}
