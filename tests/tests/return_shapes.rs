//! What each return shape sends, through the same decode-call-encode path Lambda uses
//! (local mode, one event per run).

use lambda_handler_tests::Binary;
use std::process::Command;

use serde_json::{Value, json};

static SHAPES: Binary = Binary::example("shapes");

/// The JSON printed and whether the invocation succeeded.
fn invoke(handler: &str, event: &str) -> (Value, bool) {
    let out = Command::new(SHAPES.path())
        .args(["--handler", handler, event])
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{handler}: {e}: {}", String::from_utf8_lossy(&out.stdout)));
    (json, out.status.success())
}

fn error(message: &str, error_type: &str) -> Value {
    json!({"errorMessage": message, "errorType": error_type, "stackTrace": []})
}

#[test]
fn a_result_of_serializable_types_is_still_an_error_when_err() {
    assert_eq!(invoke("string_error", "true"), (json!("yes"), true));
    assert_eq!(
        invoke("string_error", "false"),
        (error("no", "String"), false)
    );
}

#[test]
fn aliases_of_result_are_results() {
    assert_eq!(invoke("user_alias", "3"), (json!(3), true));
    assert_eq!(
        invoke("user_alias", "30"),
        (error("refused 30", "MyError"), false)
    );
    assert_eq!(invoke("io_alias", "true"), (json!(null), true));
    assert_eq!(
        invoke("io_alias", "false"),
        (error("disk on fire", "Error"), false)
    );
}

#[test]
fn values_are_never_mistaken_for_results() {
    assert_eq!(invoke("named_result", "7"), (json!({"ok": 7}), true));
    assert_eq!(invoke("nested_result", "true"), (json!({"Ok": 1}), true));
    assert_eq!(
        invoke("nested_result", "false"),
        (json!({"Err": "data"}), true)
    );
}

#[test]
fn none_and_opaque_values() {
    assert_eq!(invoke("maybe", "null"), (json!(null), true));
    assert_eq!(invoke("maybe", "4"), (json!(8), true));
    assert_eq!(invoke("opaque", "[1,2,3]"), (json!(3), true));
}
