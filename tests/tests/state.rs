//! State built once by `init`: once per process whatever the number of invocations, before the
//! first `/next`; a failing init is Lambda's init error; local mode and `--serve` run it too.

use std::process::Command;
use std::time::Duration;

use lambda_handler_protocol::headers;
use lambda_handler_tests::{API, Binary, Event, RuntimeApi};
use serde_json::{Value, json};

static STATE: Binary = Binary::example("state");
const WAIT: Duration = Duration::from_secs(60);

#[test]
fn init_runs_once_over_a_thousand_invocations() {
    let api = RuntimeApi::start();
    let mut state = api.spawn(
        STATE.path(),
        &[("_HANDLER", "greet"), ("TABLE_NAME", "orders")],
    );
    for i in 0..1_000 {
        api.push(Event::new(
            format!("inv-{i}"),
            format!(r#"{{"first_name":"Ada{i}"}}"#),
        ));
    }
    let answers = api.wait_for_accepted(1_000, WAIT);
    assert_eq!(answers.len(), 1_000);
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(
            answer.json(),
            json!({"message": format!("Hello Ada{i}!"), "table": "orders", "inits": 1, "request_id": format!("inv-{i}")})
        );
    }
    assert!(state.is_running());
}

#[test]
fn a_sync_init_serves_a_handler_without_context() {
    let api = RuntimeApi::start();
    let _state = api.spawn(STATE.path(), &[("_HANDLER", "label"), ("PREFIX", "sku")]);
    api.push(Event::new("a", "7"));
    api.push(Event::new("b", "8"));
    let answers = api.wait_for_accepted(2, WAIT);
    assert_eq!(answers[0].json(), json!("sku-7 (inits: 1)"));
    assert_eq!(answers[1].json(), json!("sku-8 (inits: 1)"));
}

#[test]
fn a_failing_init_is_lambdas_init_error_and_the_process_exits() {
    let api = RuntimeApi::start();
    let mut state = api.spawn(STATE.path(), &[("_HANDLER", "greet")]);
    let (code, stderr) = state.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 1, "{stderr}");
    let reported = api.wait_for(1, WAIT);
    assert_eq!(reported[0].path, format!("{API}/init/error"));
    assert_eq!(
        reported[0].header(headers::FUNCTION_ERROR_TYPE),
        Some("Function.MissingConfig")
    );
    assert_eq!(
        reported[0].json(),
        json!({"errorMessage": "TABLE_NAME is not set", "errorType": "MissingConfig", "stackTrace": []})
    );
    assert_eq!(api.next_requests(), 0, "init comes before the first /next");
}

/// An init that panics is reported as Lambda's init error too: `Runtime.Panic` with the panic's
/// message, to `/runtime/init/error`, before any `/next`; the process exits 1.
#[test]
fn a_panicking_init_is_an_init_error_and_the_process_exits() {
    let api = RuntimeApi::start();
    let mut state = api.spawn(STATE.path(), &[("_HANDLER", "label"), ("PREFIX", "")]);
    let (code, stderr) = state.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 1, "{stderr}");
    let reported = api.wait_for(1, WAIT);
    assert_eq!(reported[0].path, format!("{API}/init/error"));
    assert_eq!(
        reported[0].header(headers::FUNCTION_ERROR_TYPE),
        Some("Runtime.Panic")
    );
    let body = reported[0].json();
    assert_eq!(body["errorType"], "Runtime.Panic");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("PREFIX is set but empty"),
        "{body}"
    );
    assert_eq!(api.next_requests(), 0, "init comes before the first /next");
}

#[test]
fn local_mode_runs_the_same_init_once() {
    let run = |env: &[(&str, &str)], args: &[&str], stdin: &str| {
        let mut command = Command::new(STATE.path());
        command.args(args).env_remove("AWS_LAMBDA_RUNTIME_API");
        command.env_remove("TABLE_NAME");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(
        &[("TABLE_NAME", "orders")],
        &["--handler", "greet"],
        "{\"first_name\":\"A\"}\n{\"first_name\":\"B\"}\n",
    );
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| l["inits"] == 1 && l["table"] == "orders")
    );

    let failed = run(&[], &["--handler", "greet", r#"{"first_name":"A"}"#], "");
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(
        serde_json::from_slice::<Value>(&failed.stdout).unwrap()["errorType"],
        "MissingConfig"
    );
}
