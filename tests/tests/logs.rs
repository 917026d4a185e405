//! Logs in Lambda's formats (`AWS_LAMBDA_LOG_FORMAT`, `AWS_LAMBDA_LOG_LEVEL`): a handler's
//! `tracing` events and the runtime's own messages, each line carrying the request id of the
//! invocation that wrote it.

use std::time::Duration;

use lambda_handler_protocol::headers;
use lambda_handler_tests::{Binary, Event, RuntimeApi};
use serde_json::Value;

static LOGS: Binary = Binary::example("logs");

/// What the `logs` example wrote to stderr over three invocations (one failing, one whose
/// event does not decode), with `env` set.
fn log_of(env: &[(&str, &str)]) -> String {
    let api = RuntimeApi::start();
    let process = api.spawn(LOGS.path(), env);
    api.push(Event::new("order-1", r#"{"order_id": 1, "items": 3}"#));
    api.push(Event::new("order-2", r#"{"order_id": 2, "items": 0}"#));
    api.push(Event::new("order-3", r#"{"order_id": "three"}"#));
    api.wait_for_accepted(3, Duration::from_secs(30));
    process.stop()
}

#[test]
fn json_lines_carry_the_request_id_of_the_invocation_that_wrote_them() {
    let log = log_of(&[
        ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
    ]);
    let lines: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
        .collect();
    for line in &lines {
        for key in ["timestamp", "level", "message", "requestId"] {
            assert!(line.get(key).is_some(), "no {key}: {line}");
        }
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'), "{line}");
        // Every line is about one invocation, and carries exactly its id: the order's
        // (`order_id` N is invocation order-N), or the one the runtime's message names.
        let about = match line["order_id"].as_u64() {
            Some(n) => format!("order-{n}"),
            None => {
                let message = line["message"].as_str().unwrap();
                let named = message
                    .split("invocation ")
                    .nth(1)
                    .unwrap_or_else(|| panic!("a line about no invocation: {line}"));
                named.split_whitespace().next().unwrap().to_owned()
            }
        };
        assert_eq!(line["requestId"], about.as_str(), "{line}");
    }
    let find = |message: &str, request_id: &str| {
        lines
            .iter()
            .find(|l| {
                l["message"].as_str().unwrap().contains(message) && l["requestId"] == request_id
            })
            .unwrap_or_else(|| panic!("no {message:?} for {request_id}: {log}"))
            .clone()
    };
    let placing = find("placing the order", "order-1");
    assert_eq!(
        (
            placing["level"].as_str(),
            placing["order_id"].as_u64(),
            placing["items"].as_u64()
        ),
        (Some("INFO"), Some(1), Some(3))
    );
    assert_eq!(find("placing the order", "order-2")["order_id"], 2);
    assert_eq!(find("refusing an empty order", "order-2")["level"], "WARN");
    // The runtime's own message about a failed invocation, in the same format.
    let failed = find("invocation order-3 failed", "order-3");
    assert_eq!(failed["level"], "ERROR");
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("Runtime.UnmarshalError")
    );
    // Below AWS_LAMBDA_LOG_LEVEL: not written.
    assert!(!log.contains("checking order"), "{log}");
}

#[test]
fn the_level_setting_filters_and_text_lines_are_readable() {
    let debug = log_of(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")]);
    let line = debug
        .lines()
        .find(|l| l.contains("checking order 1"))
        .unwrap_or_else(|| panic!("{debug}"));
    // The Python runtime's text shape: [LEVEL] timestamp request-id message.
    let parts: Vec<&str> = line.split('\t').collect();
    assert_eq!(parts[0], "[DEBUG]");
    assert!(parts[1].ends_with('Z'), "{line}");
    assert_eq!(parts[2], "order-1");
    let errors_only = log_of(&[("AWS_LAMBDA_LOG_LEVEL", "ERROR")]);
    assert!(!errors_only.contains("placing the order"), "{errors_only}");
    assert!(
        errors_only.contains("invocation order-3 failed"),
        "{errors_only}"
    );
}

/// A multi-tenant function's lines carry the invocation's `tenantId`, as Lambda's own runtimes
/// write it; an invocation without a tenant has no such key.
#[test]
fn json_lines_carry_the_tenant_of_the_invocation_that_wrote_them() {
    let api = RuntimeApi::start();
    let process = api.spawn(LOGS.path(), &[("AWS_LAMBDA_LOG_FORMAT", "JSON")]);
    let order = |id: &str, body: &str| Event::new(id, body);
    api.push(order("t-1", r#"{"order_id": 1, "items": 3}"#).header(headers::TENANT_ID, "blue"));
    api.push(order("t-2", r#"{"order_id": 2, "items": 1}"#));
    api.push(order("t-3", r#"{"order_id": "x"}"#).header(headers::TENANT_ID, "green"));
    api.wait_for_accepted(3, Duration::from_secs(30));
    let log = process.stop();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let tenant_of = |request_id: &str| -> Vec<Option<&str>> {
        lines
            .iter()
            .filter(|l| l["requestId"] == request_id)
            .map(|l| l.get("tenantId").map(|t| t.as_str().unwrap()))
            .collect()
    };
    assert_eq!(tenant_of("t-1"), [Some("blue")], "{log}");
    assert_eq!(tenant_of("t-2"), [None], "{log}");
    // The runtime's own line about an invocation that failed (its event does not decode).
    assert_eq!(tenant_of("t-3"), [Some("green")], "{log}");
}

/// Without `AWS_LAMBDA_LOG_LEVEL`, Lambda's default level, INFO: `info!` is written, `debug!`
/// is not.
#[test]
fn the_default_level_is_info() {
    let log = log_of(&[]);
    assert!(log.contains("placing the order"), "{log}");
    assert!(!log.contains("checking order"), "{log}");
}

/// A program that installs its own subscriber keeps it: the handler's lines and the runtime's
/// own messages go to it, and none in Lambda's format is written.
#[test]
fn a_programs_own_subscriber_is_kept() {
    static OWN: Binary = Binary::example("own_subscriber");
    let api = RuntimeApi::start();
    let process = api.spawn(OWN.path(), &[]);
    api.push(Event::new("own-1", r#"{"note": "kept"}"#));
    api.push(Event::new("own-2", "{}"));
    let answers = api.wait_for_accepted(2, Duration::from_secs(30));
    assert_eq!(answers[0].json(), "kept");
    let log = process.stop();
    assert!(log.lines().any(|l| l == "OWN INFO noting kept"), "{log}");
    // The runtime's message about the failed invocation, through the program's subscriber.
    assert!(
        log.lines()
            .any(|l| l.starts_with("OWN ERROR lambda-handler: invocation own-2 failed")),
        "{log}"
    );
    assert!(!log.contains("own-1\t"), "a line in Lambda's format: {log}");
}
