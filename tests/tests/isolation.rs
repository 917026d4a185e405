//! Each invocation's data stays its own: the trace id in the environment, the answer's bytes,
//! the invocation an answer is addressed to.

use std::time::Duration;

use lambda_handler_protocol::headers;
use lambda_handler_tests::{API, Binary, Event, Fault, Route, RuntimeApi};
use serde_json::{Value, json};

static FAULTS: Binary = Binary::example("faults");
static HELLO: Binary = Binary::example("hello");
static STREAMING: Binary = Binary::example("streaming");
const WAIT: Duration = Duration::from_secs(60);

/// A trace id that checks itself (see `well_formed` in `examples/faults.rs`): its number picks
/// the pad's letter, and it ends with its own length. Lengths vary from 25 to 324 bytes, so a
/// value is written over both longer and shorter ones.
fn self_checking_trace_id(n: u64) -> String {
    let letter = char::from(b'a' + (n % 26) as u8);
    let pad = letter.to_string().repeat(((n * 7919) % 300) as usize);
    let without_len = format!("Root=1-{n:08x}-{pad};Len=");
    let len = without_len.len() + 4;
    format!("{without_len}{len:04}")
}

#[test]
fn a_thread_reading_the_trace_id_never_sees_a_torn_value() {
    const INVOCATIONS: u64 = 50_000;
    let api = RuntimeApi::start();
    let _faults = api.spawn(FAULTS.path(), &[("_HANDLER", "trace_env")]);
    for n in 0..INVOCATIONS {
        let trace_id = self_checking_trace_id(n);
        api.push(Event::new(format!("trace-{n}"), "{}").header(headers::TRACE_ID, &trace_id));
    }
    let answers = api.wait_for_accepted(INVOCATIONS as usize, Duration::from_secs(600));
    for (n, answer) in answers.iter().enumerate().step_by(997) {
        // Each invocation sees its own trace id, whole.
        assert_eq!(answer.json()["env"], self_checking_trace_id(n as u64));
    }
    let last: Value = answers.last().unwrap().json();
    eprintln!("the reading thread: {last}");
    assert_eq!(
        last["torn"],
        json!(0),
        "a thread read a value that is no invocation's trace id: {}",
        last["first_torn"]
    );
    // The reader ran throughout: many times per invocation.
    assert!(last["reads"].as_u64().unwrap() >= INVOCATIONS, "{last}");
}

#[test]
fn the_variable_is_the_invocations_again_after_user_code_changes_it() {
    let api = RuntimeApi::start();
    let _faults = api.spawn(FAULTS.path(), &[("_HANDLER", "trace_env")]);
    let traced = |n: u64, body: &str| {
        Event::new(format!("user-{n}"), body).header(headers::TRACE_ID, &self_checking_trace_id(n))
    };
    // The handler sets the variable itself, then removes it, then an invocation has no trace
    // id; each next invocation sees its own.
    let set = json!({"set": self_checking_trace_id(1_000_000)}).to_string();
    api.push(traced(1, &set));
    api.push(traced(2, r#"{"remove": true}"#));
    api.push(traced(3, "{}"));
    api.push(Event::new("user-4", "{}").without(headers::TRACE_ID));
    api.push(traced(5, "{}"));
    api.push(traced(6, "{}"));
    let answers = api.wait_for_accepted(6, WAIT);
    let env: Vec<Value> = answers.iter().map(|a| a.json()["env"].clone()).collect();
    let own = |n| json!(self_checking_trace_id(n));
    assert_eq!(env, [own(1), own(2), own(3), json!(null), own(5), own(6)]);
    assert_eq!(answers[5].json()["torn"], json!(0));
}

/// hyper keeps an answer's body until its connection is done with it, which can be long after
/// the Runtime API refused it unread (here: 403 to a 4 MB response, the connection left open);
/// a later invocation's answer, posted again after its connection failed, carries its own
/// bytes, never the earlier one's. (The interleaving where the earlier body comes back between
/// the later one's failure and its retry is pinned by `payload.rs`'s unit tests: hyper's
/// connection task hands a failed request's body back before its caller sees the error.)
#[test]
fn a_retried_answer_never_carries_an_earlier_invocations_body() {
    let api = RuntimeApi::start();
    let _faults = api.spawn(FAULTS.path(), &[("_HANDLER", "echo")]);
    let earlier = json!("a".repeat(4 << 20)).to_string();
    let later = json!("b".repeat(1 << 20)).to_string();
    api.fault(
        Route::Response,
        Fault::ReplyUnread(403, Duration::from_millis(300)),
    );
    api.fault(Route::Response, Fault::CloseBeforeReply);
    api.push(Event::new("earlier", earlier));
    api.push(Event::new("later", later.clone()));
    let accepted = api.wait_for_accepted(1, WAIT);
    let [answer] = &accepted[..] else {
        panic!("one accepted answer: {accepted:?}")
    };
    assert!(answer.path.ends_with("/later/response"), "{}", answer.path);
    assert!(
        answer.body == later.as_bytes(),
        "the later invocation's answer carried {} bytes starting {:?}",
        answer.body.len(),
        String::from_utf8_lossy(&answer.body[..answer.body.len().min(8)])
    );
}

/// Lambda's cross-wiring protection (July 2026): `/next` gives each attempt an invocation id,
/// and the runtime echoes it on that invocation's answer, a response, an error or a streamed
/// response alike; with none from `/next`, none is sent.
#[test]
fn every_answer_echoes_its_invocations_id_and_none_without_one() {
    for (binary, handler, event) in [
        (
            &HELLO,
            "my_handler",
            r#"{"first_name":"Ada","last_name":"Lovelace"}"#,
        ),
        (&FAULTS, "panics", "{}"),
        (&STREAMING, "lines", r#"{"lines": 2}"#),
    ] {
        let api = RuntimeApi::start();
        let _handler = api.spawn(binary.path(), &[("_HANDLER", handler)]);
        api.push(Event::new("with-1", event).header(headers::INVOCATION_ID, "attempt-7f3a"));
        api.push(Event::new("without-2", event).without(headers::INVOCATION_ID));
        api.push(Event::new("with-3", event).header(headers::INVOCATION_ID, "attempt-91c0"));
        let answers = api.wait_for_accepted(3, WAIT);
        let echoed: Vec<(&str, Option<&str>)> = answers
            .iter()
            .map(|a| (a.path.as_str(), a.header(headers::INVOCATION_ID)))
            .collect();
        let kind = if handler == "panics" {
            "error"
        } else {
            "response"
        };
        let path = |id: &str| format!("{API}/invocation/{id}/{kind}");
        assert_eq!(
            echoed,
            [
                (path("with-1").as_str(), Some("attempt-7f3a")),
                (path("without-2").as_str(), None),
                (path("with-3").as_str(), Some("attempt-91c0")),
            ],
            "{handler}"
        );
    }
}

/// An answer that reaches the Runtime API after its invocation timed out is refused with 410
/// `InvokeTimeout` (rapid's `RenderInvokeTimeout`): the runtime says so in one line and serves
/// the next invocation.
#[test]
fn a_410_for_a_timed_out_invocation_is_logged_once_and_the_loop_goes_on() {
    let api = RuntimeApi::start();
    let hello = api.spawn(HELLO.path(), &[]);
    let ada = |id: &str| Event::new(id, r#"{"first_name":"Ada","last_name":"Lovelace"}"#);
    api.push(ada("on-time-1"));
    api.wait_for_accepted(1, WAIT);
    api.fault(Route::Response, Fault::Status(410));
    for id in ["late-2", "on-time-3", "on-time-4"] {
        api.push(ada(id));
    }
    let accepted = api.wait_for_accepted(3, WAIT);
    let answered: Vec<&str> = accepted.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(
        answered,
        [
            format!("{API}/invocation/on-time-1/response"),
            format!("{API}/invocation/on-time-3/response"),
            format!("{API}/invocation/on-time-4/response"),
        ]
    );
    let statuses: Vec<u16> = api.received().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [202, 410, 202, 202],
        "the late answer was not sent again"
    );
    let stderr = hello.stop();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("late-2")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("timed out before it arrived (410 InvokeTimeout)"),
        "{}",
        lines[0]
    );
}
