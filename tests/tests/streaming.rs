//! Response streaming through the Runtime API: a handler that returns `Streaming` posts its
//! response chunked, with `Lambda-Runtime-Function-Response-Mode: streaming`; an error after
//! the first chunk arrives in the trailers Lambda specifies; memory stays one chunk deep.

use std::time::Duration;

use base64::Engine;
use lambda_handler_protocol::{env, headers, limits};
use lambda_handler_tests::{Binary, Event, Fault, Received, Route, RuntimeApi};
use serde_json::Value;

static STREAMING: Binary = Binary::example("streaming");
const WAIT: Duration = Duration::from_secs(60);

fn streamed(api: &RuntimeApi, count: usize, id: &str, handler_event: &str) -> Received {
    api.push(Event::new(id, handler_event));
    let answers = api.wait_for_accepted(count, WAIT);
    let answer = answers
        .iter()
        .find(|a| a.path.contains(id))
        .unwrap_or_else(|| panic!("{id} was answered: {answers:#?}"))
        .clone();
    assert!(
        answer.path.ends_with(&format!("/{id}/response")),
        "{answer:?}"
    );
    answer
}

#[test]
fn a_streamed_response_is_posted_chunked_in_streaming_mode() {
    let api = RuntimeApi::start();
    let _process = api.spawn(STREAMING.path(), &[("_HANDLER", "lines")]);
    let answer = streamed(&api, 1, "stream-1", r#"{"lines": 3}"#);
    assert_eq!(answer.body, b"line 0\nline 1\nline 2\n");
    assert_eq!(answer.header(headers::RESPONSE_MODE), Some("streaming"));
    assert_eq!(answer.header("transfer-encoding"), Some("chunked"));
    assert_eq!(answer.header("content-type"), Some("text/plain"));
    // Both error trailers are declared, so that hyper sends them.
    let declared = answer.header("trailer").unwrap().to_ascii_lowercase();
    assert!(
        declared.contains(headers::FUNCTION_ERROR_TYPE),
        "{declared}"
    );
    assert!(
        declared.contains(headers::FUNCTION_ERROR_BODY),
        "{declared}"
    );
    assert!(answer.trailers.is_empty(), "{answer:?}");
    // Lambda asks a streaming runtime to close the connection after the response: the next
    // invocation comes on a new one, and the old one is closed.
    let second = streamed(&api, 2, "stream-2", r#"{"lines": 1}"#);
    assert!(
        second.connection > answer.connection,
        "stream-2 came on connection {} after stream-1's {}",
        second.connection,
        answer.connection
    );
    // Then one connection, the third, open for the next `/next`: the two that carried a
    // stream were closed.
    let deadline = std::time::Instant::now() + WAIT;
    while (api.connections(), api.open_connections()) != (3, 1) {
        assert!(
            std::time::Instant::now() < deadline,
            "{} connections, {} open",
            api.connections(),
            api.open_connections()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_error_mid_stream_arrives_in_the_trailers_and_the_loop_serves_on() {
    let api = RuntimeApi::start();
    let mut process = api.spawn(STREAMING.path(), &[("_HANDLER", "lines")]);
    let answer = streamed(&api, 1, "broken", r#"{"lines": 5, "fail_after": 2}"#);
    // The caller keeps what was sent before the error.
    assert_eq!(answer.body, b"line 0\nline 1\n");
    assert_eq!(
        answer.trailer(headers::FUNCTION_ERROR_TYPE),
        Some("Function.SourceFailed")
    );
    let body = answer.trailer(headers::FUNCTION_ERROR_BODY).unwrap();
    let body = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errorType"], "SourceFailed");
    assert_eq!(body["errorMessage"], "the source failed after line 2");
    let answer = streamed(&api, 2, "after", r#"{"lines": 2}"#);
    assert_eq!(answer.body, b"line 0\nline 1\n");
    assert!(process.is_running());
}

/// A response is streamed as produced, not gathered first: 50 MB raises the runtime's peak
/// memory by less than 4 MB.
#[cfg(target_os = "linux")]
#[test]
fn a_50_mb_streamed_response_keeps_memory_one_chunk_deep() {
    let api = RuntimeApi::start();
    let process = api.spawn(STREAMING.path(), &[("_HANDLER", "bulk")]);
    // Warm: the first streamed response sets up what every later one reuses.
    let warm = streamed(&api, 1, "warm", r#"{"megabytes": 1}"#);
    assert_eq!(warm.body.len(), 1 << 20);
    api.clear_received();
    let before = lambda_handler_tests::peak_rss_kib(process.pid());
    let big = streamed(&api, 2, "big", r#"{"megabytes": 50}"#);
    let after = lambda_handler_tests::peak_rss_kib(process.pid());
    assert_eq!(big.body.len(), 50 << 20);
    // Each 64 KiB chunk is its own letter, in order.
    for (i, chunk) in big.body.chunks(64 * 1024).enumerate() {
        assert!(
            chunk.iter().all(|&b| b == b'a' + (i % 26) as u8),
            "chunk {i}"
        );
    }
    assert!(
        after - before < 4 * 1024,
        "peak RSS rose {} KiB (from {before} KiB) for a 50 MB response",
        after - before
    );
}

/// Lambda's own cap on a streamed response, end to end: the test server reads a 201 MiB stream
/// up to 200 MiB and one byte and refuses it there (413), as rapid does; the runtime stops
/// streaming, says so in one line, posts nothing else, and serves the next invocation.
#[test]
fn a_stream_over_200_mib_is_refused_at_the_cap_and_the_next_invocation_is_served() {
    let api = RuntimeApi::start();
    let process = api.spawn(STREAMING.path(), &[("_HANDLER", "bulk")]);
    api.push(Event::new("over-1", r#"{"megabytes": 201}"#));
    api.push(Event::new("next-2", r#"{"megabytes": 1}"#));
    let accepted = api.wait_for_accepted(1, Duration::from_secs(120));
    assert!(
        accepted[0].path.ends_with("/next-2/response"),
        "{accepted:?}"
    );
    assert_eq!(accepted[0].body.len(), 1 << 20);
    let to_over: Vec<(u16, usize)> = api
        .received()
        .iter()
        .filter(|r| r.path.contains("over-1"))
        .map(|r| (r.status, r.len))
        .collect();
    assert_eq!(to_over, [(413, limits::MAX_STREAMED_RESPONSE + 1)]);
    let stderr = process.stop();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("over-1")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("too large (413)"), "{}", lines[0]);
}

/// A streaming handler that fails before its stream begins answers with an ordinary error
/// (nothing was streamed); one whose stream panics after it began ends the stream with the
/// panic in the trailers, the rows before it kept; the loop serves on.
#[test]
fn a_stream_failing_before_it_begins_or_panicking_after_reaches_the_caller() {
    let api = RuntimeApi::start();
    let process = api.spawn(STREAMING.path(), &[("_HANDLER", "report")]);
    api.push(Event::new("missing", r#"{"name": "costs"}"#));
    api.push(Event::new(
        "panics",
        r#"{"name": "sales", "panic_after": 1}"#,
    ));
    api.push(Event::new("whole", r#"{"name": "sales"}"#));
    let answers = api.wait_for_accepted(3, WAIT);
    let missing = answers.iter().find(|a| a.path.contains("missing")).unwrap();
    assert!(missing.path.ends_with("/missing/error"), "{missing:?}");
    assert_eq!(
        missing.header(headers::FUNCTION_ERROR_TYPE),
        Some("Function.ReportNotFound")
    );
    assert_eq!(missing.json()["errorMessage"], "no report is named costs");

    let panics = answers.iter().find(|a| a.path.contains("panics")).unwrap();
    assert!(panics.path.ends_with("/panics/response"), "{panics:?}");
    assert_eq!(panics.body, b"row 0\n");
    assert_eq!(
        panics.trailer(headers::FUNCTION_ERROR_TYPE),
        Some("Runtime.Panic")
    );
    let body = base64::engine::general_purpose::STANDARD
        .decode(panics.trailer(headers::FUNCTION_ERROR_BODY).unwrap())
        .unwrap();
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("row 1 could not be computed"),
        "{body}"
    );

    let whole = answers.iter().find(|a| a.path.contains("whole")).unwrap();
    assert_eq!(whole.body, b"row 0\nrow 1\nrow 2\n");
    assert!(whole.trailers.is_empty(), "{whole:?}");
    drop(process);
}

/// With several invocation loops, each streams its own invocation's response at once.
#[test]
fn concurrent_loops_stream_their_own_responses() {
    let api = RuntimeApi::start_concurrent(4);
    let _process = api.spawn(
        STREAMING.path(),
        &[("_HANDLER", "lines"), (env::MAX_CONCURRENCY, "4")],
    );
    for i in 0..8 {
        let event = format!(r#"{{"lines": {}, "delay_ms": 50}}"#, i + 1);
        api.push(Event::new(format!("s-{i}"), event));
    }
    let answers = api.wait_for_accepted(8, WAIT);
    for i in 0..8 {
        let answer = answers
            .iter()
            .find(|a| a.path.contains(&format!("/s-{i}/")))
            .unwrap();
        let expected: String = (0..=i).map(|l| format!("line {l}\n")).collect();
        assert_eq!(String::from_utf8_lossy(&answer.body), expected);
    }
    assert!(api.most_in_flight() > 1);
}

/// A function URL's streamed response: Lambda's HTTP prelude (status, headers and cookies as
/// JSON, then eight zero bytes), then the body; each `set-cookie` is one of the cookies.
#[test]
fn a_function_url_response_begins_with_its_http_prelude() {
    let api = RuntimeApi::start();
    let _process = api.spawn(STREAMING.path(), &[("_HANDLER", "page")]);
    let answer = streamed(&api, 1, "page", "{}");
    assert_eq!(
        answer.header("content-type"),
        Some(headers::HTTP_INTEGRATION_RESPONSE)
    );
    let split = answer.body.windows(8).position(|w| w == [0; 8]).unwrap();
    let prelude: Value = serde_json::from_slice(&answer.body[..split]).unwrap();
    assert_eq!(
        prelude,
        serde_json::json!({
            "statusCode": 200,
            "headers": {"content-type": "text/html", "cache-control": "no-store, private"},
            "cookies": ["session=1; Secure", "theme=dark"]
        })
    );
    assert_eq!(
        &answer.body[split + 8..],
        b"<html><body><p>streamed</p></body></html>"
    );
}

/// A streamed response the Runtime API refuses as too large (413): Lambda has closed the
/// invocation and told the caller, so the runtime says so in one line and posts nothing else.
#[test]
fn a_413_on_a_streamed_response_is_logged_and_nothing_else_is_posted() {
    let api = RuntimeApi::start();
    let process = api.spawn(STREAMING.path(), &[("_HANDLER", "lines")]);
    api.fault(Route::Response, Fault::TooLarge);
    api.push(Event::new("huge-1", r#"{"lines": 2}"#));
    api.push(Event::new("next-2", r#"{"lines": 1}"#));
    let accepted = api.wait_for_accepted(1, WAIT);
    assert!(
        accepted[0].path.ends_with("/next-2/response"),
        "{accepted:?}"
    );
    let to_huge: Vec<(String, u16)> = api
        .received()
        .iter()
        .filter(|r| r.path.contains("huge-1"))
        .map(|r| (r.path.clone(), r.status))
        .collect();
    assert_eq!(
        to_huge,
        [(
            format!("{}/invocation/huge-1/response", lambda_handler_tests::API),
            413
        )]
    );
    let stderr = process.stop();
    let lines: Vec<&str> = stderr.lines().filter(|l| l.contains("huge-1")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("too large (413)"), "{}", lines[0]);
}
