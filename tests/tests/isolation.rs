//! Each invocation's data stays its own: the trace id in the environment, the answer's bytes,
//! the invocation an answer is addressed to.

use std::time::Duration;

use lambda_handler_protocol::headers;
use lambda_handler_tests::{Binary, Event, RuntimeApi};
use serde_json::{Value, json};

static FAULTS: Binary = Binary::example("faults");
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
