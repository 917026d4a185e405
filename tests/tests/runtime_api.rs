//! The example binaries against a Runtime API server on 127.0.0.1, as Lambda runs them.

use lambda_handler_protocol::headers;
use std::time::Duration;

use lambda_handler_tests::{API, Binary, Event, RuntimeApi};
use serde_json::json;

static HELLO: Binary = Binary::example("hello");
static MULTI: Binary = Binary::example("multi");
static CONTEXT: Binary = Binary::example("context");
const WAIT: Duration = Duration::from_secs(20);
const ADA: &str = r#"{"first_name":"Ada","last_name":"Lovelace"}"#;

#[test]
fn hello_answers_the_seed_event() {
    let api = RuntimeApi::start();
    let _hello = api.spawn(HELLO.path(), &[]);
    api.push(Event::new("8476a536-e9f4-11e8-9739-2dfe598c3fcd", ADA));
    let [answer] = &api.wait_for(1, WAIT)[..] else {
        unreachable!()
    };
    assert_eq!(answer.method, "POST");
    assert_eq!(
        answer.path,
        format!("{API}/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response")
    );
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.json(), json!({"message": "Hello Ada Lovelace!"}));
    assert_eq!(answer.body, br#"{"message":"Hello Ada Lovelace!"}"#);
}

#[test]
fn a_malformed_event_is_an_unmarshal_error_and_the_loop_goes_on() {
    let api = RuntimeApi::start();
    let mut hello = api.spawn(HELLO.path(), &[]);
    api.push(Event::new("bad-1", r#"{"first_name":"Ada"}"#));
    api.push(Event::new("bad-2", "not json"));
    api.push(Event::new("good-3", ADA));
    let answers = api.wait_for(3, WAIT);
    for (answer, id) in answers[..2].iter().zip(["bad-1", "bad-2"]) {
        assert_eq!(answer.path, format!("{API}/invocation/{id}/error"));
        assert_eq!(
            answer.header(headers::FUNCTION_ERROR_TYPE),
            Some("Runtime.UnmarshalError")
        );
        assert_eq!(
            answer.header("content-type"),
            Some(headers::ERROR_CONTENT_TYPE)
        );
        let body = answer.json();
        assert_eq!(body["errorType"], "Runtime.UnmarshalError");
        assert_eq!(body["stackTrace"], json!([]));
    }
    let first = answers[0].json();
    let message = first["errorMessage"].as_str().unwrap();
    assert!(message.contains("missing field `last_name`"), "{message}");
    assert_eq!(answers[2].path, format!("{API}/invocation/good-3/response"));
    assert_eq!(answers[2].json(), json!({"message": "Hello Ada Lovelace!"}));
    assert!(hello.is_running());
}

#[test]
fn hello_serves_ten_thousand_invocations_on_one_connection() {
    const COUNT: usize = 10_000;
    let api = RuntimeApi::start();
    let _hello = api.spawn(HELLO.path(), &[]);
    for i in 0..COUNT {
        let event = json!({"first_name": format!("Ada{i}"), "last_name": "Lovelace"});
        api.push(Event::new(format!("req-{i}"), event.to_string()));
    }
    let answers = api.wait_for(COUNT, Duration::from_secs(120));
    assert_eq!(answers.len(), COUNT, "an invocation was answered twice");
    for (i, answer) in answers.iter().enumerate() {
        assert_eq!(answer.path, format!("{API}/invocation/req-{i}/response"));
        assert_eq!(
            answer.json(),
            json!({"message": format!("Hello Ada{i} Lovelace!")})
        );
    }
    assert_eq!(api.connections(), 1);
}

#[test]
fn the_url_form_of_the_endpoint_with_a_base_path_is_accepted() {
    let api = RuntimeApi::start_with_base_path("/lambda-runtime-api");
    assert!(api.endpoint().starts_with("http://127.0.0.1:"));
    let _hello = api.spawn(HELLO.path(), &[]);
    api.push(Event::new("with-base", ADA));
    let answers = api.wait_for(1, WAIT);
    assert_eq!(
        answers[0].path,
        format!("{API}/invocation/with-base/response")
    );
    assert_eq!(answers[0].json(), json!({"message": "Hello Ada Lovelace!"}));
}

#[test]
fn handler_selects_one_of_several_handlers() {
    let api = RuntimeApi::start();
    let _multi = api.spawn(MULTI.path(), &[("_HANDLER", "shout")]);
    api.push(Event::new("s-1", ADA));
    api.push(Event::new("s-2", r#"{"first_name":"","last_name":"X"}"#));
    let answers = api.wait_for(2, WAIT);
    assert_eq!(answers[0].json(), json!({"message": "HELLO ADA LOVELACE!"}));
    assert_eq!(answers[1].path, format!("{API}/invocation/s-2/error"));
    assert_eq!(
        answers[1].header(headers::FUNCTION_ERROR_TYPE),
        Some("Function.EmptyName")
    );
    assert_eq!(
        answers[1].json(),
        json!({"errorMessage": "first_name is empty", "errorType": "EmptyName", "stackTrace": []})
    );
}

#[test]
fn async_handlers_have_tokio_timers_and_local_tasks() {
    let api = RuntimeApi::start();
    let _multi = api.spawn(MULTI.path(), &[("_HANDLER", "doubled")]);
    api.push(Event::new("d-1", "21"));
    assert_eq!(api.wait_for(1, WAIT)[0].json(), json!(42));
}

#[test]
fn a_renamed_handler_and_a_unit_result() {
    let api = RuntimeApi::start();
    let _echo = api.spawn(MULTI.path(), &[("_HANDLER", "echo")]);
    for (i, event) in [
        r#"{"a":[1,2.5,null]}"#,
        "[1,2]",
        r#""text""#,
        "42",
        "4.5",
        "null",
    ]
    .into_iter()
    .enumerate()
    {
        api.push(Event::new(format!("e-{i}"), event));
    }
    let answers = api.wait_for(6, WAIT);
    let bodies: Vec<_> = answers.iter().map(|a| a.json()).collect();
    assert_eq!(
        bodies,
        [
            json!({"a": [1, 2.5, null]}),
            json!([1, 2]),
            json!("text"),
            json!(42),
            json!(4.5),
            json!(null)
        ]
    );

    let api = RuntimeApi::start();
    let _nothing = api.spawn(MULTI.path(), &[("_HANDLER", "nothing")]);
    api.push(Event::new("n-1", "{}"));
    assert_eq!(api.wait_for(1, WAIT)[0].body, b"null");
}

#[test]
fn an_unknown_handler_is_an_init_error_naming_the_handlers() {
    let api = RuntimeApi::start();
    let mut multi = api.spawn(MULTI.path(), &[("_HANDLER", "nope")]);
    let answers = api.wait_for(1, WAIT);
    assert_eq!(answers[0].path, format!("{API}/init/error"));
    assert_eq!(
        answers[0].header(headers::FUNCTION_ERROR_TYPE),
        Some("Runtime.HandlerNotFound")
    );
    assert_eq!(
        answers[0].json(),
        json!({
            "errorMessage": "no handler is named `nope`; this binary's handlers are `doubled`, `echo`, `greet`, `nothing`, `shout`",
            "errorType": "Runtime.HandlerNotFound",
            "stackTrace": [],
        })
    );
    let (code, stderr) = multi.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 1);
    assert!(stderr.contains("no handler is named `nope`"), "{stderr}");
    assert_eq!(api.next_requests(), 0);
}

#[test]
fn several_handlers_without_a_handler_setting_is_an_init_error() {
    let api = RuntimeApi::start();
    let mut multi = api.spawn(MULTI.path(), &[]);
    let answers = api.wait_for(1, WAIT);
    assert_eq!(answers[0].path, format!("{API}/init/error"));
    assert!(
        answers[0].json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("several handlers")
    );
    assert_eq!(multi.wait_exit(WAIT).map(|(code, _)| code), Some(1));
}

#[test]
fn a_single_handler_ignores_a_placeholder_handler_setting() {
    let api = RuntimeApi::start();
    let _hello = api.spawn(HELLO.path(), &[("_HANDLER", "bootstrap")]);
    api.push(Event::new("p-1", ADA));
    assert_eq!(
        api.wait_for(1, WAIT)[0].json(),
        json!({"message": "Hello Ada Lovelace!"})
    );
}

#[test]
fn the_context_carries_headers_and_environment() {
    let api = RuntimeApi::start();
    let _context = api.spawn(CONTEXT.path(), &[]);
    api.push(
        Event::new("ctx-1", r#"{"k":1}"#)
            .header(headers::TENANT_ID, "tenant-a")
            .header(
                headers::COGNITO_IDENTITY,
                r#"{"cognitoIdentityId":"id-9","cognitoIdentityPoolId":"pool"}"#,
            )
            .header(
                headers::CLIENT_CONTEXT,
                r#"{"client":{"app_title":"App"},"custom":{},"env":{}}"#,
            ),
    );
    api.push(Event::new("ctx-2", "null").header(headers::TRACE_ID, "Root=1-2"));
    // Longer than the runtime's first buffer for the variable, then none at all.
    let lineage = format!("Root=1-3;Lineage={}", "a87bd80c:1|".repeat(40));
    api.push(Event::new("ctx-3", "3").header(headers::TRACE_ID, &lineage));
    api.push(Event::new("ctx-4", "4").without(headers::TRACE_ID));
    api.push(Event::new("ctx-5", "5"));
    let answers = api.wait_for(5, WAIT);
    let first = answers[0].json();
    assert_eq!(first["request_id"], "ctx-1");
    assert_eq!(
        first["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    );
    let remaining = first["remaining_ms"].as_u64().unwrap();
    assert!((1_000..=3_000).contains(&remaining), "{remaining}");
    assert_eq!(first["function_name"], "test-function");
    assert_eq!(first["function_version"], "$LATEST");
    assert_eq!(first["memory_limit_in_mb"], 128);
    assert_eq!(first["log_group_name"], "/aws/lambda/test-function");
    assert_eq!(
        first["log_stream_name"],
        "2026/11/27/[$LATEST]0123456789abcdef"
    );
    // The server sends a new trace id with each invocation, as Lambda does; AWS SDKs read it
    // from `_X_AMZN_TRACE_ID` while the handler runs.
    let trace = first["xray_trace_id"].as_str().unwrap();
    assert!(trace.starts_with("Root=1-"), "{trace}");
    assert_eq!(first["env_trace_id"], trace);
    assert_eq!(first["tenant_id"], "tenant-a");
    assert_eq!(first["cognito_identity_id"], "id-9");
    assert_eq!(first["client_app_title"], "App");
    assert_eq!(first["event"], json!({"k": 1}));

    let second = answers[1].json();
    assert_eq!(
        (
            second["request_id"].as_str(),
            second["xray_trace_id"].as_str()
        ),
        (Some("ctx-2"), Some("Root=1-2"))
    );
    assert_eq!(second["env_trace_id"], "Root=1-2");
    assert_eq!(second["tenant_id"], json!(null));
    assert_eq!(second["cognito_identity_id"], json!(null));
    let env_trace = |i: usize| answers[i].json()["env_trace_id"].clone();
    assert_eq!(env_trace(2), lineage.as_str());
    assert_eq!(
        env_trace(3),
        json!(null),
        "absent when the invocation has none"
    );
    assert_eq!(env_trace(4), answers[4].json()["xray_trace_id"]);
    assert_ne!(env_trace(4), first["xray_trace_id"]);
}

/// The test server is as strict as Lambda's Runtime API, so that a test passing against it
/// means Lambda takes what the runtime sent: a runtime that breaks the protocol in each way
/// gets rapid's status, and every break is recorded (and would fail the test that let it
/// through, when the server is dropped).
#[test]
fn the_test_server_refuses_and_records_what_lambda_would_refuse() {
    let api = RuntimeApi::start();
    api.push(Event::new("broken-1", "{}"));
    let status_file =
        std::env::temp_dir().join(format!("lambda-handler-broken-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&status_file);
    let _runtime: lambda_handler_tests::Handler = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python/breaks_the_protocol.py"
        ))
        .env(lambda_handler_protocol::env::RUNTIME_API, api.endpoint())
        .env("STATUS_FILE", &status_file)
        .spawn()
        .expect("python3")
        .into();
    let statuses = wait_for_file(&status_file);
    let _ = std::fs::remove_file(&status_file);
    assert_eq!(
        statuses,
        json!({
            // Taken: Lambda records the type as unknown rather than refusing the answer.
            "bad_error_type": 202,
            "init_error_after_next": 403,
            "unknown_path": 404,
            "post_next": 405,
        })
    );
    let violations = api.take_violations();
    let expected = [
        "\"Function.E\" is not Lambda's",
        "/init/error after /next",
        "/unknown: not a Runtime API path",
        "POST /2018-06-01/runtime/invocation/next: the Runtime API takes GET",
    ];
    assert_eq!(violations.len(), expected.len(), "{violations:#?}");
    for (violation, expected) in violations.iter().zip(expected) {
        assert!(
            violation.contains(expected),
            "{violation:?} should say {expected:?}"
        );
    }
}

/// The JSON a script wrote to `path` (whole: it renames it into place), once it is there.
fn wait_for_file(path: &std::path::Path) -> serde_json::Value {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return serde_json::from_str(&text).unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `LAMBDA_HANDLER_TRACE_ENV=off`, read from the function's environment, leaves
/// `_X_AMZN_TRACE_ID` alone (unset here) while the context still carries each invocation's
/// trace id.
#[test]
fn the_trace_env_setting_off_leaves_the_variable_alone() {
    let api = RuntimeApi::start();
    let _context = api.spawn(CONTEXT.path(), &[("LAMBDA_HANDLER_TRACE_ENV", "off")]);
    api.push(Event::new("off-1", "1").header(headers::TRACE_ID, "Root=1-off-1"));
    api.push(Event::new("off-2", "2"));
    let answers = api.wait_for(2, WAIT);
    let first = answers[0].json();
    assert_eq!(first["xray_trace_id"], "Root=1-off-1");
    assert_eq!(first["env_trace_id"], json!(null), "{first}");
    let second = answers[1].json();
    assert!(
        second["xray_trace_id"]
            .as_str()
            .unwrap()
            .starts_with("Root=1-")
    );
    assert_eq!(second["env_trace_id"], json!(null), "{second}");
}
