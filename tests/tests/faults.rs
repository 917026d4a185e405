//! Fault injection: real handler processes against a scripted Runtime API on 127.0.0.1.
//! Every invocation with a valid id gets exactly one accepted answer with the documented
//! body, the process exits when (and only when) Lambda would make it, and nothing hangs.

use lambda_handler_protocol::headers;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use lambda_handler_tests::{API, Binary, Event, Fault, Received, Route, RuntimeApi};
use serde_json::{Value, json};

static HELLO: Binary = Binary::example("hello");
static FAULTS: Binary = Binary::example("faults");
static CONTEXT: Binary = Binary::example("context");
static DUPLICATE: Binary = Binary::example("duplicate");
const WAIT: Duration = Duration::from_secs(30);
const ADA: &str = r#"{"first_name":"Ada","last_name":"Lovelace"}"#;

/// The accepted answers, one per id, asserting that no id was accepted twice.
fn one_answer_per_id(answers: &[Received]) -> HashMap<String, Received> {
    let mut by_id = HashMap::new();
    for answer in answers.iter().filter(|a| a.status == 202) {
        let id = answer
            .path
            .split('/')
            .nth(4)
            .expect("an invocation path")
            .to_owned();
        assert!(
            by_id.insert(id.clone(), answer.clone()).is_none(),
            "{id} was answered twice: {answers:#?}"
        );
    }
    by_id
}

fn assert_error(answer: &Received, id: &str, header: &str, body: Value) {
    assert_eq!(answer.path, format!("{API}/invocation/{id}/error"));
    assert_eq!(
        answer.header("content-type"),
        Some(headers::ERROR_CONTENT_TYPE)
    );
    assert_eq!(answer.header(headers::FUNCTION_ERROR_TYPE), Some(header));
    assert_eq!(answer.json(), body);
}

/// Serves `events` to a `faults` handler and returns its answers, in order.
fn faults(handler: &str, events: &[&str]) -> Vec<Received> {
    let api = RuntimeApi::start();
    let mut process = api.spawn(FAULTS.path(), &[("_HANDLER", handler)]);
    for (i, event) in events.iter().enumerate() {
        api.push(Event::new(
            format!("{}-{i}", handler.replace('_', "-")),
            *event,
        ));
    }
    let answers = api.wait_for_accepted(events.len(), WAIT);
    assert!(
        process.is_running(),
        "{handler}: the process must go on serving"
    );
    answers
}

#[test]
fn panics_are_reported_and_the_loop_goes_on() {
    for handler in ["panics", "panics_async"] {
        let answers = faults(handler, &["1", "2"]);
        for (i, answer) in answers.iter().enumerate() {
            let body = answer.json();
            assert_eq!(body["errorType"], "Runtime.Panic");
            let message = body["errorMessage"].as_str().unwrap();
            assert!(
                message.starts_with("the handler panicked: ")
                    && message.ends_with(&format!("exploded on {}", i + 1)),
                "{message}"
            );
            assert_eq!(
                answer.header(headers::FUNCTION_ERROR_TYPE),
                Some("Runtime.Panic")
            );
        }
    }
}

#[test]
fn handler_errors_carry_their_type_and_source_chain() {
    let trace = json!({"errorMessage": "cannot open the table", "errorType": "StartupFailed", "stackTrace": ["TABLE_NAME is not set"]});
    assert_error(
        &faults("error_chain", &["{}"])[0],
        "error-chain-0",
        "Function.StartupFailed",
        trace,
    );
    let boxed = json!({"errorMessage": "cannot open the table", "errorType": "Error", "stackTrace": ["TABLE_NAME is not set"]});
    assert_error(
        &faults("boxed_error", &["{}"])[0],
        "boxed-error-0",
        "Function.Error",
        boxed,
    );
    let chosen = json!({"errorMessage": "invalid input: 7", "errorType": "ValidationError", "stackTrace": []});
    assert_error(
        &faults("validates", &["7"])[0],
        "validates-0",
        "Function.ValidationError",
        chosen,
    );
}

#[test]
fn an_unserializable_result_is_a_marshal_error_and_the_loop_goes_on() {
    let answers = faults("unserializable", &["1", "2"]);
    for (i, answer) in answers.iter().enumerate() {
        let body = json!({
            "errorMessage": "the handler's result does not encode as JSON: key must be a string",
            "errorType": "Runtime.MarshalError",
            "stackTrace": [],
        });
        assert_error(
            answer,
            &format!("unserializable-{i}"),
            "Runtime.MarshalError",
            body,
        );
    }
}

#[test]
fn an_event_that_does_not_decode_names_the_field() {
    let answers = faults("sleeps", &[r#""soon""#, "5"]);
    assert_error(
        &answers[0],
        "sleeps-0",
        "Runtime.UnmarshalError",
        json!({
            "errorMessage": "the event does not decode into the handler's event type: invalid type: string \"soon\", expected u64 at line 1 column 6",
            "errorType": "Runtime.UnmarshalError",
            "stackTrace": [],
        }),
    );
    assert_eq!(answers[1].json(), json!(5));

    let api = RuntimeApi::start();
    let _hello = api.spawn(HELLO.path(), &[]);
    api.push(Event::new(
        "nested",
        r#"{"first_name":["Ada"],"last_name":"L"}"#,
    ));
    let message = api.wait_for_accepted(1, WAIT)[0].json()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.starts_with("the event does not decode into the handler's event type at `first_name`: invalid type: sequence"), "{message}");

    // A field deep in a service's event: the whole path, as `aws_lambda_events` names it.
    static S3: Binary = Binary::example("s3_notification");
    let api = RuntimeApi::start();
    let _s3 = api.spawn(S3.path(), &[]);
    api.push(Event::new(
        "deep",
        r#"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":5},"object":{"key":"k"}}}]}"#,
    ));
    let message = api.wait_for_accepted(1, WAIT)[0].json()["errorMessage"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.starts_with(
            "the event does not decode into the handler's event type at `Records[0].s3.bucket.name`: invalid type: integer `5`"
        ),
        "{message}"
    );
}

#[test]
fn responses_over_six_megabytes_are_errors_the_caller_can_read() {
    const LIMIT: usize = lambda_handler_protocol::limits::MAX_RESPONSE;
    // A JSON string of n bytes is n + 2 bytes with its quotes.
    let events = [
        (LIMIT - 2).to_string(),
        (LIMIT - 1).to_string(),
        "3".to_owned(),
    ];
    let answers = faults(
        "big",
        &events.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    assert_eq!(answers[0].path, format!("{API}/invocation/big-0/response"));
    assert_eq!(answers[0].body.len(), LIMIT);
    assert_error(
        &answers[1],
        "big-1",
        "Function.ResponseSizeTooLarge",
        json!({
            "errorMessage": lambda_handler_protocol::error_types::response_size_too_large_message(),
            "errorType": "Function.ResponseSizeTooLarge",
            "stackTrace": [],
        }),
    );
    assert_eq!(answers[2].json(), json!("xxx"));
}

/// The statuses the server gave each answer to `id`, in order.
fn statuses(api: &RuntimeApi, id: &str) -> Vec<(String, u16)> {
    api.received()
        .into_iter()
        .filter(|r| r.path.split('/').nth(4) == Some(id))
        .map(|r| (r.path.rsplit('/').next().unwrap().to_owned(), r.status))
        .collect()
}

/// Waits until the process has asked `/next` at least `count` times: it is alive and serving.
fn wait_for_next(api: &RuntimeApi, count: usize) {
    let deadline = Instant::now() + WAIT;
    while api.next_requests() < count {
        assert!(
            Instant::now() < deadline,
            "the process stopped asking /next"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn a_413_closes_the_invocation_and_the_loop_goes_on() {
    let api = RuntimeApi::start();
    let mut hello = api.spawn(HELLO.path(), &[]);
    api.fault(Route::Response, Fault::TooLarge);
    api.push(Event::new("too-big", ADA));
    api.push(Event::new("fine", ADA));
    let answers = one_answer_per_id(&api.wait_for_accepted(1, WAIT));
    assert_eq!(
        answers["fine"].json(),
        json!({"message": "Hello Ada Lovelace!"})
    );
    // Lambda told the caller (Function.ResponseSizeTooLarge) and refuses the error report
    // that follows, as for any closed invocation.
    assert_eq!(
        statuses(&api, "too-big"),
        [("response".to_owned(), 413), ("error".to_owned(), 403)]
    );
    wait_for_next(&api, 3);
    assert!(hello.is_running());
    assert!(
        hello
            .stop()
            .contains("refused the error to too-big, which is closed"),
        "the refusal is logged"
    );
}

#[test]
fn a_refusal_of_an_answer_is_logged_and_the_loop_goes_on() {
    for status in [400, 403] {
        let api = RuntimeApi::start();
        let mut hello = api.spawn(HELLO.path(), &[]);
        api.fault(Route::Response, Fault::Status(status));
        api.push(Event::new("refused", ADA));
        api.push(Event::new("after", ADA));
        let answers = one_answer_per_id(&api.wait_for_accepted(1, WAIT));
        assert!(answers.contains_key("after"), "{status}");
        assert_eq!(
            statuses(&api, "refused"),
            [("response".to_owned(), status)],
            "a refusal is not retried"
        );
        wait_for_next(&api, 3);
        assert!(hello.is_running(), "{status} is not fatal");
        let log = hello.stop();
        assert_eq!(
            log.matches("refused the response to refused").count(),
            1,
            "{log}"
        );
    }
}

/// An event over the runtime's read limit is answered with `Runtime.EventTooLarge`, and the
/// rest of it is never read into memory: a 64 MiB event raises the runtime's peak memory by
/// less than a quarter of its size.
#[test]
fn an_event_over_the_read_limit_is_answered_with_an_error() {
    let api = RuntimeApi::start();
    let mut echo = api.spawn(FAULTS.path(), &[("_HANDLER", "echo")]);
    // Warm: the first event sets up what later ones reuse.
    api.push(Event::new("warm", "[0]"));
    api.wait_for_accepted(1, WAIT);
    api.clear_received();
    #[cfg(target_os = "linux")]
    let before = lambda_handler_tests::peak_rss_kib(echo.pid());
    let over = format!("\"{}\"", "o".repeat(64 << 20));
    api.push(Event::new("huge", over));
    api.push(Event::new("small", "[1]"));
    let answers = one_answer_per_id(&api.wait_for_accepted(3, WAIT));
    assert_error(
        &answers["huge"],
        "huge",
        "Runtime.EventTooLarge",
        json!({
            "errorMessage": format!("the event is over the {} bytes the runtime reads", lambda_handler_protocol::limits::MAX_EVENT),
            "errorType": "Runtime.EventTooLarge",
            "stackTrace": [],
        }),
    );
    assert_eq!(answers["small"].json(), json!([1]));
    #[cfg(target_os = "linux")]
    {
        let rose = lambda_handler_tests::peak_rss_kib(echo.pid()) - before;
        assert!(
            rose < 16 * 1024,
            "peak RSS rose {rose} KiB for a 64 MiB event"
        );
    }
    assert!(echo.is_running());
}

#[test]
fn a_large_event_is_served() {
    // Near Lambda's 6 MB limit for a synchronous event, with room for the JSON around it.
    let payload = "y".repeat(6_000_000);
    let event = json!({ "data": payload }).to_string();
    let api = RuntimeApi::start();
    let _echo = api.spawn(FAULTS.path(), &[("_HANDLER", "echo")]);
    api.push(Event::new("large", event.clone()));
    let answers = api.wait_for_accepted(1, WAIT);
    assert_eq!(answers[0].body, event.as_bytes());
}

#[test]
fn next_answering_500_or_403_ends_the_process_promptly() {
    for status in [500, 403] {
        let api = RuntimeApi::start();
        api.fault(Route::Next, Fault::Status(status));
        let mut hello = api.spawn(HELLO.path(), &[]);
        let (code, stderr) = hello
            .wait_exit(Duration::from_secs(5))
            .expect("the process exits");
        assert_eq!(code, 1);
        assert!(
            stderr.contains(&format!("answered /next with {status}"))
                && stderr.contains("non-recoverable"),
            "{stderr}"
        );
        assert_eq!(
            api.next_requests(),
            1,
            "a non-recoverable status is not retried"
        );
    }
}

#[test]
fn a_500_on_an_answer_ends_the_process() {
    let api = RuntimeApi::start();
    // "Container error. Non-recoverable state. Runtime should exit promptly." (OpenAPI spec)
    api.fault(Route::Response, Fault::Status(500));
    let mut hello = api.spawn(HELLO.path(), &[]);
    api.push(Event::new("doomed", ADA));
    let (code, stderr) = hello
        .wait_exit(Duration::from_secs(5))
        .expect("the process exits");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("answered the response to doomed with 500"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_runtime_api_is_retried_briefly_then_given_up() {
    // A port this test holds without listening on it: connecting is refused, and no other
    // process can take the port meanwhile.
    let held = tokio::net::TcpSocket::new_v4().unwrap();
    held.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = held.local_addr().unwrap().port();
    let started = Instant::now();
    let mut hello = std::process::Command::new(HELLO.path())
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = started + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = hello.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the process kept retrying");
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut hello.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(stderr.matches("retrying in").count(), 5, "{stderr}");
    assert!(
        stderr.contains("cannot connect") && stderr.contains("6 times; exiting"),
        "{stderr}"
    );
    assert!(
        elapsed >= Duration::from_secs(3),
        "backoff, not a spin: {elapsed:?}"
    );
}

#[test]
fn a_connection_closed_before_next_answers_is_opened_again() {
    let api = RuntimeApi::start();
    api.fault(Route::Next, Fault::CloseBeforeReply);
    let mut hello = api.spawn(HELLO.path(), &[]);
    api.push(Event::new("after-close", ADA));
    let answers = api.wait_for_accepted(1, WAIT);
    assert_eq!(answers[0].json(), json!({"message": "Hello Ada Lovelace!"}));
    assert!(api.connections() >= 2);
    assert!(hello.is_running());
}

#[test]
fn an_answer_lost_with_its_connection_is_sent_again_and_accepted_once() {
    for fault in [Fault::CloseBeforeReply, Fault::AcceptThenClose] {
        let api = RuntimeApi::start();
        api.fault(Route::Response, fault);
        api.fault(Route::Error, fault);
        let mut hello = api.spawn(HELLO.path(), &[]);
        api.push(Event::new("resp", ADA));
        api.push(Event::new("err", "{}"));
        api.push(Event::new("clean", ADA));
        let answers = one_answer_per_id(&api.wait_for_accepted(3, WAIT));
        assert_eq!(
            answers["resp"].json(),
            json!({"message": "Hello Ada Lovelace!"}),
            "{fault:?}"
        );
        assert_eq!(
            answers["err"].json()["errorType"],
            "Runtime.UnmarshalError",
            "{fault:?}"
        );
        assert_eq!(
            answers["clean"].json(),
            json!({"message": "Hello Ada Lovelace!"}),
            "{fault:?}"
        );
        let sent = api.received();
        assert_eq!(
            sent.len(),
            5,
            "{fault:?}: one retry each for the response and the error: {sent:#?}"
        );
        // A retry whose first try arrived is refused as Lambda refuses it (403, the
        // invocation is closed), and the process goes on serving.
        let retried = match fault {
            Fault::AcceptThenClose => 403,
            _ => 202,
        };
        assert_eq!(
            statuses(&api, "resp"),
            [
                ("response".to_owned(), if retried == 403 { 202 } else { 0 }),
                ("response".to_owned(), retried)
            ],
            "{fault:?}"
        );
        wait_for_next(&api, 4);
        assert!(hello.is_running());
    }
}

#[test]
fn slow_answers_are_waited_for() {
    let api = RuntimeApi::start();
    api.fault(Route::Next, Fault::Delay(Duration::from_millis(400)));
    api.fault(Route::Response, Fault::Delay(Duration::from_millis(400)));
    let _hello = api.spawn(HELLO.path(), &[]);
    api.push(Event::new("slow", ADA));
    api.push(Event::new("after-slow", ADA));
    let answers = one_answer_per_id(&api.wait_for_accepted(2, WAIT));
    assert_eq!(answers.len(), 2);
    assert_eq!(api.received().len(), 2, "a slow answer is not a lost one");
}

#[test]
fn connection_close_on_every_reply_loses_nothing() {
    let api = RuntimeApi::start();
    api.close_every_reply();
    let _hello = api.spawn(HELLO.path(), &[]);
    for i in 0..50 {
        api.push(Event::new(format!("c-{i}"), ADA));
    }
    let answers = one_answer_per_id(&api.wait_for_accepted(50, WAIT));
    assert_eq!(answers.len(), 50);
    assert_eq!(api.received().len(), 50);
    assert!(
        api.connections() >= 100,
        "a new connection for every request: {}",
        api.connections()
    );
}

#[test]
fn implausible_request_ids_are_never_put_in_a_url() {
    let api = RuntimeApi::start();
    let mut hello = api.spawn(HELLO.path(), &[]);
    let long = "a".repeat(200);
    for id in [
        "../../init/error",
        "a b",
        "id?x=1",
        "%2e%2e",
        long.as_str(),
        "",
    ] {
        api.push(Event::new(id, ADA));
    }
    api.push(Event::new("no-header", ADA).without(headers::REQUEST_ID));
    api.push(Event::new("8476a536-e9f4-11e8-9739-2dfe598c3fcd", ADA));
    let answers = api.wait_for_accepted(1, WAIT);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(api.received().len(), 1, "{:#?}", api.received());
    assert_eq!(
        answers[0].path,
        format!("{API}/invocation/8476a536-e9f4-11e8-9739-2dfe598c3fcd/response")
    );
    assert!(hello.is_running());
}

#[test]
fn missing_or_malformed_headers_degrade_without_failing() {
    let api = RuntimeApi::start();
    let mut context = api.spawn(CONTEXT.path(), &[]);
    api.push(
        Event::new("bare", "{}")
            .without(headers::DEADLINE_MS)
            .without(headers::FUNCTION_ARN)
            .without(headers::TRACE_ID),
    );
    api.push(Event::new("constant-deadline", "{}").header(headers::DEADLINE_MS, "600000"));
    api.push(
        Event::new("garbage", "{}")
            .header(headers::COGNITO_IDENTITY, "{not json")
            .header(headers::CLIENT_CONTEXT, r#"{"client": 5}"#),
    );
    let answers = one_answer_per_id(&api.wait_for_accepted(3, WAIT));
    let bare = answers["bare"].json();
    assert_eq!(bare["invoked_function_arn"], "");
    assert_eq!(bare["xray_trace_id"], Value::Null);
    assert_eq!(
        bare["env_trace_id"],
        Value::Null,
        "no trace id leaks from an earlier invocation"
    );
    for id in ["bare", "constant-deadline"] {
        let remaining = answers[id].json()["remaining_ms"].as_u64().unwrap();
        assert!(
            (890_000..=900_000).contains(&remaining),
            "{id}: {remaining}"
        );
    }
    let garbage = answers["garbage"].json();
    assert_eq!(
        (
            garbage["cognito_identity_id"].clone(),
            garbage["client_app_title"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert!(context.is_running());
    let log = context.stop();
    for expected in [
        "invocation bare has no Lambda-Runtime-Invoked-Function-Arn",
        "invocation bare has no Lambda-Runtime-Deadline-Ms epoch time",
        "invocation garbage has a malformed cognito identity header",
        "invocation garbage has a malformed client context header",
    ] {
        assert!(log.contains(expected), "{expected:?} not in the log: {log}");
    }
}

/// An idle emulator's 204 is asked again after a pause that doubles from 1 ms up to 100 ms:
/// each pause is at least its step (a timer never ends early, so this holds on any machine),
/// and the pauses stop doubling at the cap.
#[test]
fn an_idle_emulator_answering_204_is_asked_again_backing_off_to_100_ms() {
    const IDLE: usize = 12;
    let api = RuntimeApi::start();
    for _ in 0..IDLE {
        api.fault(Route::Next, Fault::Status(204));
    }
    let _hello = api.spawn(HELLO.path(), &[]);
    api.push(Event::new("after-idle", ADA));
    let answers = api.wait_for_accepted(1, WAIT);
    assert_eq!(answers[0].json(), json!({"message": "Hello Ada Lovelace!"}));
    let times = api.next_request_times();
    // The 204s, the request that got the event, and the one after it.
    assert!((IDLE + 1..=IDLE + 2).contains(&times.len()), "{times:?}");
    let pauses: Vec<Duration> = times[..=IDLE].windows(2).map(|w| w[1] - w[0]).collect();
    for (i, pause) in pauses.iter().enumerate() {
        let step = Duration::from_millis(1 << i).min(Duration::from_millis(100));
        assert!(
            *pause >= step,
            "pause {i} was {pause:?}, under {step:?}: {pauses:?}"
        );
    }
    // At the cap the last four are 100 ms each; doubling on from 64 ms, or a cap even a few
    // times higher, would put at least two of them over 250 ms. One late wake-up is allowed.
    let long = pauses[IDLE - 4..]
        .iter()
        .filter(|p| **p > Duration::from_millis(250))
        .count();
    assert!(long <= 1, "{pauses:?}");
}

#[test]
fn two_handlers_under_one_name_is_an_init_error() {
    let api = RuntimeApi::start();
    let mut duplicate = api.spawn(DUPLICATE.path(), &[]);
    let answers = api.wait_for_accepted(1, WAIT);
    assert_eq!(answers[0].path, format!("{API}/init/error"));
    assert_eq!(
        answers[0].header(headers::FUNCTION_ERROR_TYPE),
        Some("Runtime.DuplicateHandler")
    );
    assert_eq!(answers[0].json()["errorType"], "Runtime.DuplicateHandler");
    assert_eq!(duplicate.wait_exit(WAIT).map(|(code, _)| code), Some(1));
    assert_eq!(api.next_requests(), 0);
}
