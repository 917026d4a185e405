//! Durable functions on two services: AWS's local durable-execution service
//! (`dex-local-runner`, from PyPI) invoking our `--serve`, and our `--serve` as the service
//! itself. On each: the README's order workflow end to end, and AWS's language-neutral
//! conformance requirements (`aws-durable-execution-conformance-tests`, fetched from PyPI at
//! test time) against one handler per case (`tests/durable/handlers.rs`). On ours too: the
//! API's answers to boto3, `--skip-time` and the execution timeout.

use std::path::{Path, PathBuf};
use std::process::Command;

use lambda_handler_tests::{Binary, python_venv};
use serde_json::{Value, json};

static ORDER_WORKFLOW: Binary = Binary::example("order_workflow");
static HELLO: Binary = Binary::example("hello");
static EMULATOR: Binary = Binary::emulator();

/// The version of the requirements the handlers were written from.
const CONFORMANCE_VERSION: &str = "1.0.0";

/// Suites whose cases all have a handler; each must pass but for the cases named below. Not
/// run: `plugin` (instrumentation plugins, an SDK extension this SDK does not have). The
/// `invoke` cases' targets are handlers of the same binary, which `--serve` serves by name.
const SUITES: &[&str] = &[
    "invoke",
    "step",
    "wait",
    "child",
    "callback",
    "wait_for_condition",
    "wait_for_callback",
    "parallel",
    "map",
];

/// Cases not run on dex-local-runner, beside [`SKIPPED`], and why: a difference between
/// dex-local-runner and AWS's service, not between our SDK and the requirement (our own
/// service records these, and passes them).
const SKIPPED_ON_DEX: &[(&str, &str)] = &[
    ("step/1-17", DEX_CRASH),
    ("step/1-18", DEX_CRASH),
    ("child/3-12", DEX_CRASH),
];

const DEX_CRASH: &str = "dex-local-runner 1.4.0 records no InvocationCompleted for an \
     invocation whose runtime crashed (Runtime.ExitError), which AWS's service does";

/// Cases not run on either service, and why: what this SDK does not offer.
const SKIPPED: &[(&str, &str)] = &[
    ("child/3-14", NON_JSON_SERDES),
    ("map/9-14", NON_JSON_SERDES),
    ("map/9-19", NON_JSON_SERDES),
    ("map/9-20", NON_JSON_SERDES),
    (
        "map/9-12",
        "nesting mode FLAT (iterations without their own child context) is not offered: every \
         item runs in a MapIteration context",
    ),
    (
        "parallel/8-12",
        "nesting mode FLAT (branches without their own child context) is not offered: every \
         branch runs in a ParallelBranch context",
    ),
];

const NON_JSON_SERDES: &str = "a custom serdes that records a non-JSON payload: this SDK \
     records every value as JSON through serde (a type's own `Serialize` customizes it, as \
     step/1-6 and wait_for_condition/6-11 do)";

fn durable_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("durable")
}

/// The durable service a test runs on: AWS's `dex-local-runner`, which invokes our
/// `--serve`, or `--serve` itself.
const DEX: &str = "dex";
/// See [`DEX`].
const SERVE: &str = "emulator";

/// Runs one of `tests/durable`'s scripts with the venv's Python; its standard output.
fn run_script(script: &str, args: &[&str]) -> String {
    let out = Command::new(python_venv())
        .arg(durable_dir().join(script))
        .args(args)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn the_order_workflow_suspends_on_its_wait_and_callback_and_finishes_once_approved() {
    let report = order_workflow(DEX, &[]);
    assert_runs_each_operation_once(&report);
}

/// The same on `--serve` as the service, with `--skip-time`: started, approved and read back
/// with the README's AWS CLI commands; the wait passes at once and is recorded as the two
/// seconds it asked for.
#[test]
fn the_order_workflow_runs_on_serve_alone_with_the_readmes_aws_cli_commands() {
    let report = order_workflow(SERVE, &["--skip-time"]);
    assert_runs_each_operation_once(&report);
    let wait = |kind: &str| event_of(&report, kind);
    assert_eq!(wait("WaitStarted")["WaitStartedDetails"]["Duration"], 2);
    assert_eq!(wait("WaitSucceeded")["WaitSucceededDetails"]["Duration"], 2);
}

/// The first event of type `kind` in a script's report's history.
fn event_of(report: &Value, kind: &str) -> Value {
    report["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["EventType"] == kind)
        .unwrap_or_else(|| panic!("no {kind}: {report:#}"))
        .clone()
}

fn order_workflow(service: &str, args: &[&str]) -> Value {
    let mut script_args = vec![service, ORDER_WORKFLOW.path()];
    script_args.extend(args);
    serde_json::from_str(&run_script("order.py", &script_args)).expect("order.py prints JSON")
}

fn assert_runs_each_operation_once(report: &Value) {
    assert_eq!(report["status"], "SUCCEEDED", "{report:#}");
    assert_eq!(
        report["result"],
        json!({
            "order_id": "o-1",
            "total_cents": 3750,
            "approved_by": "ada",
            "shipments": ["parcel 0: book", "parcel 1: pen", "parcel 2: lamp"],
        })
    );
    // Three invocations: to the wait, to the approval, to the end.
    assert_eq!(report["invocations"], 3, "{report:#}");
    let events: Vec<String> = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[0] != "InvocationCompleted")
        .map(|e| format!("{} {}", e[0].as_str().unwrap(), e[2].as_str().unwrap_or("")))
        .collect();
    // Each operation once: replays return what was recorded instead of running it again.
    let expected_start = [
        "StepStarted price order",
        "StepSucceeded price order",
        "WaitStarted payment window",
        "WaitSucceeded payment window",
        "ContextStarted approval",
        "CallbackStarted approval create callback id",
        "StepStarted approval submitter",
        "StepSucceeded approval submitter",
        "CallbackSucceeded approval create callback id",
        "ContextSucceeded approval",
        "ContextStarted ship",
    ];
    assert_eq!(
        events[1..=expected_start.len()],
        expected_start,
        "{events:#?}"
    );
    for item in ["ship-0", "ship-1", "ship-2"] {
        assert!(
            events.contains(&format!("ContextSucceeded {item}")),
            "{events:#?}"
        );
    }
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "StepSucceeded label")
            .count(),
        3,
        "{events:#?}"
    );
    assert!(events.last().unwrap().starts_with("ExecutionSucceeded"));
}

/// AWS's conformance requirements, from PyPI, unpacked under the target directory once.
fn conformance_package() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    let dir = exe
        .ancestors()
        .nth(3)
        .expect("target/")
        .join("tmp")
        .join(format!("durable-conformance-{CONFORMANCE_VERSION}"));
    let unpacked = dir.join("aws_durable_execution_conformance_tests");
    if unpacked.is_dir() {
        return dir;
    }
    // The wheel is pure data and Python; it declares Python 3.14, which runs none of it here:
    // the YAML is read, and the package's matcher and validator are imported by 3.11.
    let fetched = Command::new(python_venv())
        .args([
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
        ])
        .args(["--python-version", "3.14", "--dest"])
        .arg(&dir)
        .arg(format!(
            "aws-durable-execution-conformance-tests=={CONFORMANCE_VERSION}"
        ))
        .status()
        .expect("pip");
    assert!(
        fetched.success(),
        "pip download of the conformance requirements failed"
    );
    let wheel = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|ext| ext == "whl"))
        .expect("the wheel");
    let extracted = Command::new(python_venv())
        .args(["-m", "zipfile", "-e"])
        .arg(&wheel)
        .arg(&dir)
        .status()
        .expect("python");
    assert!(extracted.success() && unpacked.is_dir());
    dir
}

#[test]
fn aws_durable_conformance_requirements_pass_on_dex_local_runner() {
    let skipped: Vec<_> = SKIPPED.iter().chain(SKIPPED_ON_DEX).copied().collect();
    conformance(DEX, &skipped);
}

/// The same requirements with `--serve` as the durable service: the histories it records
/// are matched as the YAML writes them, with nothing left out for a gap.
#[test]
fn aws_durable_conformance_requirements_pass_on_serve_as_the_service() {
    conformance(SERVE, SKIPPED);
}

fn conformance(service: &str, skipped: &[(&str, &str)]) {
    let package = conformance_package();
    let report_path = package.join(format!("report-{service}-{}.json", std::process::id()));
    let skips: Vec<String> = skipped
        .iter()
        .map(|(case, why)| format!("{case}={why}"))
        .collect();
    let mut args = vec![
        service,
        package.to_str().unwrap(),
        env!("CARGO_BIN_EXE_durable-conformance"),
        &SUITES.join(","),
        report_path.to_str().unwrap(),
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    args.extend(skips);
    let status = Command::new(python_venv())
        .arg(durable_dir().join("conformance.py"))
        .args(&args)
        .status()
        .expect("python");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&report_path).expect("the report")).unwrap();
    std::fs::remove_file(&report_path).ok();
    eprintln!("conformance per suite on {service}: {}", report["suites"]);
    assert!(
        status.success() && report["failures"].as_object().unwrap().is_empty(),
        "conformance failures: {:#}",
        report["failures"]
    );
    for suite in SUITES {
        let counts = &report["suites"][suite];
        assert!(counts["passed"].as_u64().unwrap() > 0, "{suite}: {counts}");
        assert_eq!(counts["failed"], 0, "{suite}: {counts}");
    }
    assert_eq!(
        report["skipped"].as_object().unwrap().len(),
        skipped.len(),
        "every skip names a case that exists"
    );
}

/// One execution of `handler` in the conformance binary on dex-local-runner, run to its end:
/// its status, result, error and history events.
fn execution(handler: &str, input: &str) -> Value {
    execution_on(DEX, handler, input, &[])
}

/// The same on `service`, with `--serve`'s `args`.
fn execution_on(service: &str, handler: &str, input: &str, args: &[&str]) -> Value {
    let mut script_args = vec![
        service,
        env!("CARGO_BIN_EXE_durable-conformance"),
        handler,
        input,
    ];
    script_args.extend(args);
    let out = run_script("execution.py", &script_args);
    serde_json::from_str(&out).expect("execution.py prints JSON")
}

#[test]
fn a_replay_that_calls_other_operations_fails_the_execution_instead_of_going_on() {
    let report = execution("replays_differently", "null");
    assert_eq!(report["status"], "FAILED", "{report:#}");
    assert_eq!(
        report["error"]["ErrorType"], "NonDeterministicExecutionError",
        "{report:#}"
    );
    let message = report["error"]["ErrorMessage"].as_str().unwrap();
    assert!(
        message.contains("recorded \"reserve stock\" now \"charge card\""),
        "{message}"
    );
    // Nothing after the mismatch ran: the replay stopped at the step it could not match.
    let steps = report["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e[0] == "StepStarted")
        .count();
    assert_eq!(steps, 1, "{report:#}");
}

#[test]
fn replays_return_recorded_results_so_each_step_runs_once() {
    let report = execution("runs_each_step_once", "null");
    assert_eq!(report["status"], "SUCCEEDED", "{report:#}");
    // Three invocations (after the wait, after the items' waits); four steps ran once each.
    assert_eq!(
        report["result"],
        json!({ "first": 1, "items": [0, 10, 20], "step_runs": 4 }),
        "{report:#}"
    );
}

#[test]
fn a_plain_event_to_a_durable_handler_says_how_to_run_it() {
    let out = Command::new(env!("CARGO_BIN_EXE_durable-conformance"))
        .env("_HANDLER", "step_1_1")
        .arg(r#"{"order": 1}"#)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let error: Value = serde_json::from_slice(&out.stdout).expect("the error as JSON");
    assert_eq!(error["errorType"], "Runtime.UnmarshalError");
    let message = error["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("not a durable invocation") && message.contains("DurableConfig"),
        "{message}"
    );
}

#[test]
fn is_replaying_is_false_through_the_first_invocation_and_true_after() {
    let report = execution("reports_replaying", "null");
    assert_eq!(report["status"], "SUCCEEDED", "{report:#}");
    assert_eq!(
        report["result"],
        json!({ "first_invocation": false, "after_the_wait": true }),
        "{report:#}"
    );
}

/// `--skip-time`: an hour's wait passes at once (the script gives the execution 60 s), and
/// the history records the hour, dated as if it had passed.
#[test]
fn skip_time_runs_an_hour_long_wait_at_once_and_records_the_hour() {
    let report = execution_on(SERVE, "waits_an_hour", "null", &["--skip-time"]);
    assert_eq!(report["status"], "SUCCEEDED", "{report:#}");
    let event = |kind: &str| event_of(&report, kind);
    assert_eq!(event("WaitStarted")["WaitStartedDetails"]["Duration"], 3600);
    assert_eq!(
        event("WaitSucceeded")["WaitSucceededDetails"]["Duration"],
        3600
    );
    let at = |kind: &str| event(kind)["EventTimestamp"].as_f64().unwrap();
    let elapsed = at("WaitSucceeded") - at("WaitStarted");
    assert!((elapsed - 3600.0).abs() < 60.0, "{elapsed} s: {report:#}");
}

/// `--execution-timeout`: an execution still waiting at its timeout ends `TIMED_OUT`, with
/// the reason in its error and its history.
#[test]
fn an_execution_past_its_timeout_ends_timed_out() {
    let report = execution_on(
        SERVE,
        "waits_an_hour",
        "null",
        &["--execution-timeout", "2"],
    );
    assert_eq!(report["status"], "TIMED_OUT", "{report:#}");
    assert_eq!(
        report["error"]["ErrorType"], "Execution.TimedOut",
        "{report:#}"
    );
    let last = report["history"].as_array().unwrap().last().unwrap();
    assert_eq!(last["EventType"], "ExecutionTimedOut", "{report:#}");
}

/// What boto3 gets from `--serve` as the durable service (and from `lambda-emulator
/// --durable`): a synchronous invoke answers the execution's result; the binary's other
/// handlers are functions invoked by name; a name is one execution; executions are listed by
/// function, status and name; a stale checkpoint token, an unknown execution and an unknown
/// or finished callback are refused with the API's error codes; a stop ends the execution
/// with the caller's error; history pages.
#[test]
fn the_durable_api_answers_boto3_as_lambda_does() {
    let out = run_script(
        "service.py",
        &[env!("CARGO_BIN_EXE_durable-conformance"), EMULATOR.path()],
    );
    let report: Value = serde_json::from_str(&out).expect("service.py prints JSON");
    assert_eq!(report["sync"]["payload"], "Hello, World!", "{report:#}");
    assert_eq!(report["sync"]["status"], "SUCCEEDED", "{report:#}");
    assert!(report["sync"]["function_error"].is_null(), "{report:#}");
    assert_eq!(
        report["other_function"], "Grace",
        "another handler, invoked by name"
    );
    assert_eq!(report["unknown_function"], "ResourceNotFoundException");
    assert_eq!(
        report["emulator"],
        json!({ "payload": "Hello, Ada!", "named": true }),
        "lambda-emulator --durable runs the same service"
    );
    let named = report["named"].as_array().unwrap();
    assert!(
        named[0]
            .as_str()
            .unwrap()
            .contains("/durable-execution/order-7/")
    );
    assert_eq!(named[0], named[1], "the same name is the same execution");
    assert_eq!(report["stale_token"], "InvalidParameterValueException");
    assert_eq!(report["unknown_execution"], "ResourceNotFoundException");
    assert_eq!(report["unknown_callback"], "ResourceNotFoundException");
    assert_eq!(report["running"], "RUNNING");
    assert_eq!(
        report["stopped"],
        json!({
            "status": "STOPPED",
            "error": { "ErrorType": "Cancelled", "ErrorMessage": "the customer cancelled" },
            "last_event": "ExecutionStopped",
        })
    );
    assert_eq!(report["callback_after_stop"], "ResourceNotFoundException");
    assert_eq!(report["newest_first"], json!(["ExecutionStopped"]));
    assert_eq!(report["heartbeat_after_stop"], "CallbackTimeoutException");
    let stopped = json!([["order-7", "STOPPED"]]);
    assert_eq!(
        report["listed"],
        json!({ "all": stopped, "stopped": stopped, "succeeded": [], "by_name": stopped }),
        "list-durable-executions-by-function, filtered by status and name"
    );
    assert_eq!(
        report["first_page"],
        json!({ "events": [1, 2], "next": true, "truncated": { "Truncated": true } })
    );
}

/// The durable service's settings on a function that is not durable are a mistake said
/// plainly, by `--serve` and by `lambda-emulator`, not settings silently ignored.
#[test]
fn durable_settings_for_an_ordinary_function_are_refused() {
    let serve = Command::new(HELLO.path())
        .args(["--serve", "127.0.0.1:0", "--skip-time"])
        .output()
        .unwrap();
    assert_eq!(serve.status.code(), Some(2), "{serve:?}");
    let said = String::from_utf8_lossy(&serve.stderr);
    assert!(said.contains("for a durable handler"), "{said}");
    let emulator = Command::new(EMULATOR.path())
        .args(["--port", "0", "--skip-time", "--", HELLO.path()])
        .output()
        .unwrap();
    assert_eq!(emulator.status.code(), Some(2), "{emulator:?}");
    let said = String::from_utf8_lossy(&emulator.stderr);
    assert!(said.contains("go with `--durable`"), "{said}");
}

/// A chained invoke of a handler that is not durable runs it as one invocation (no child
/// execution in its `ChainedInvokeStarted`); one of a function the binary does not have fails
/// with `ResourceNotFoundException`, which the caller can handle.
#[test]
fn chained_invokes_reach_plain_functions_and_report_missing_ones() {
    let report = execution_on(SERVE, "invokes_plain_and_missing", "null", &[]);
    assert_eq!(report["status"], "SUCCEEDED", "{report:#}");
    assert_eq!(
        report["result"],
        json!({
            "plain": "hello ada",
            "missing": { "kind": "InvokeError", "type": "ResourceNotFoundException" },
        }),
        "{report:#}"
    );
    let started = event_of(&report, "ChainedInvokeStarted");
    let details = &started["ChainedInvokeStartedDetails"];
    assert_eq!(details["FunctionName"], "plain_greeting", "{report:#}");
    assert!(details.get("DurableExecutionArn").is_none(), "{report:#}");
}
