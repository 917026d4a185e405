//! Local mode: the example binaries with no Runtime API, from the command line and stdin.

use lambda_handler_protocol::error_types::RESPONSE_SIZE_TOO_LARGE;
use lambda_handler_protocol::limits::MAX_RESPONSE;
use lambda_handler_tests::Binary;
use std::io::Write;
use std::process::{Command, Output, Stdio};

static HELLO: Binary = Binary::example("hello");
static MULTI: Binary = Binary::example("multi");
static FAULTS: Binary = Binary::example("faults");

fn run(binary: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(binary)
        .args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("_HANDLER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> &str {
    std::str::from_utf8(&output.stdout).unwrap()
}

#[test]
fn one_event_from_the_command_line() {
    let out = run(
        HELLO.path(),
        &[r#"{"first_name":"Ada","last_name":"Lovelace"}"#],
        "",
    );
    assert_eq!(stdout(&out), "{\"message\":\"Hello Ada Lovelace!\"}\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_stream_of_events_on_stdin() {
    let input = "{\"first_name\":\"A\",\"last_name\":\"B\"}\n\n{\"first_name\":\"C\",\"last_name\":\"D\"}\n";
    let out = run(HELLO.path(), &[], input);
    assert_eq!(
        stdout(&out),
        "{\"message\":\"Hello A B!\"}\n{\"message\":\"Hello C D!\"}\n"
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn a_failed_invocation_prints_the_error_json_and_exits_non_zero() {
    let input = "{\"first_name\":\"A\"}\n{\"first_name\":\"C\",\"last_name\":\"D\"}\n";
    let out = run(HELLO.path(), &[], input);
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "the stream goes on after a failure");
    assert_eq!(lines[0]["errorType"], "Runtime.UnmarshalError");
    assert!(
        lines[0]["errorMessage"]
            .as_str()
            .unwrap()
            .contains("missing field `last_name`")
    );
    assert_eq!(lines[1]["message"], "Hello C D!");
    assert_eq!(out.status.code(), Some(1));

    let out = run(
        MULTI.path(),
        &["--handler", "shout", r#"{"first_name":"","last_name":"X"}"#],
        "",
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(stdout(&out)).unwrap(),
        serde_json::json!({"errorMessage": "first_name is empty", "errorType": "EmptyName", "stackTrace": []})
    );
    assert_eq!(out.status.code(), Some(1));
}

/// A response over Lambda's 6 MB limit fails here as on Lambda, with the error its caller
/// would get; one at the limit is printed.
#[test]
fn a_response_over_lambdas_limit_fails_as_on_lambda() {
    // `big` answers a JSON string of the event's number of bytes, two more with its quotes.
    let at_limit = (MAX_RESPONSE - 2).to_string();
    let out = run(FAULTS.path(), &["--handler", "big", &at_limit], "");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).len(),
        MAX_RESPONSE + 1,
        "the response and a newline"
    );
    let over = (MAX_RESPONSE - 1).to_string();
    let out = run(FAULTS.path(), &["--handler", "big", &over], "");
    assert_eq!(out.status.code(), Some(1));
    let error: serde_json::Value = serde_json::from_str(stdout(&out)).unwrap();
    assert_eq!(error["errorType"], RESPONSE_SIZE_TOO_LARGE);
    assert_eq!(
        error["errorMessage"],
        lambda_handler_protocol::error_types::response_size_too_large_message()
    );
}

#[test]
fn handler_picks_one_of_several() {
    let out = run(
        MULTI.path(),
        &["--handler=shout", r#"{"first_name":"Ada","last_name":"L"}"#],
        "",
    );
    assert_eq!(stdout(&out), "{\"message\":\"HELLO ADA L!\"}\n");
    let out = run(
        MULTI.path(),
        &[r#"{"first_name":"Ada","last_name":"L"}"#],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("several handlers (`doubled`, `echo`, `greet`, `nothing`, `shout`)")
    );
    let out = run(HELLO.path(), &["--handler", "other", "{}"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("no handler is named `other`; this binary's handlers are `my_handler`")
    );
}

#[test]
fn async_handlers_have_tokio_timers_and_local_tasks() {
    let out = run(MULTI.path(), &["--handler", "doubled", "21"], "");
    assert_eq!((stdout(&out), out.status.code()), ("42\n", Some(0)));
}

#[test]
fn help_explains_and_bad_options_are_usage_errors() {
    let out = run(HELLO.path(), &["--help"], "");
    assert_eq!(out.status.code(), Some(0));
    for option in ["--handler NAME", "--serve", "--timeout", "--concurrency N"] {
        assert!(stdout(&out).contains(option), "{option}: {}", stdout(&out));
    }
    let out = run(HELLO.path(), &["--nope"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option `--nope`"));
}

/// A streamed response is printed as it comes: its first line is on stdout while the handler
/// is still sleeping before the second (2 s apart; the timeout raised past both).
#[test]
fn a_streamed_response_is_printed_as_it_comes_and_its_error_after_it() {
    static STREAMING: Binary = Binary::example("streaming");
    let mut child = Command::new(STREAMING.path())
        .args(["--handler", "lines", r#"{"lines": 2, "delay_ms": 2000}"#])
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env(lambda_handler_protocol::env::FUNCTION_TIMEOUT, "60")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert_eq!(first, "line 0\n");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first line came only when the process ended"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let out = run(
        STREAMING.path(),
        &["--handler", "lines", r#"{"lines": 3}"#],
        "",
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "line 0\nline 1\nline 2\n");
    let out = run(
        STREAMING.path(),
        &["--handler", "lines", r#"{"lines": 5, "fail_after": 2}"#],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let (lines, error) = stdout(&out).split_at("line 0\nline 1\n".len());
    assert_eq!(lines, "line 0\nline 1\n");
    let error: serde_json::Value = serde_json::from_str(error).unwrap();
    assert_eq!(error["errorType"], "SourceFailed");
}
