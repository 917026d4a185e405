//! What an invocation's `/next` headers tell a handler: its [`Context`]'s per-invocation
//! fields, refilled for each invocation (the function's own fields stay).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::HeaderMap;
use hyper::header::HeaderName;
use lambda_handler_protocol::limits::MAX_TIMEOUT;

use crate::handler::context::Context;
use crate::runtime_api::headers;

/// Replaces the per-invocation fields with those of the next invocation's headers,
/// reusing the strings' buffers. A missing or malformed header degrades to an empty
/// value with a log line: an invocation is never refused for its metadata.
pub(crate) fn begin(ctx: &mut Context, request_id: &str, headers: &HeaderMap) {
    let header = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    replace(&mut ctx.request_id, request_id);
    let arn = header(headers::FUNCTION_ARN).unwrap_or_else(|| {
        static LOGGED: AtomicBool = AtomicBool::new(false);
        log_once(&LOGGED, format_args!("invocation {request_id} has no Lambda-Runtime-Invoked-Function-Arn; `invoked_function_arn` is empty"));
        ""
    });
    replace(&mut ctx.invoked_function_arn, arn);
    ctx.deadline = deadline(header(headers::DEADLINE_MS)).unwrap_or_else(|| {
        static LOGGED: AtomicBool = AtomicBool::new(false);
        log_once(&LOGGED, format_args!("invocation {request_id} has no Lambda-Runtime-Deadline-Ms epoch time; remaining_time() assumes Lambda's 15 minute maximum"));
        SystemTime::now() + MAX_TIMEOUT
    });
    replace_option(&mut ctx.xray_trace_id, header(headers::TRACE_ID));
    replace_option(&mut ctx.tenant_id, header(headers::TENANT_ID));
    ctx.identity = parse_json(
        request_id,
        "cognito identity",
        header(headers::COGNITO_IDENTITY),
    );
    ctx.client_context = parse_json(
        request_id,
        "client context",
        header(headers::CLIENT_CONTEXT),
    );
}

/// Logs a degraded header once per process: an emulator that always sends such a header
/// would otherwise fill the log.
fn log_once(logged: &AtomicBool, message: std::fmt::Arguments<'_>) {
    if !logged.swap(true, Ordering::Relaxed) {
        crate::log::log!(Warn, "{message}");
    }
}

/// The deadline, when the header is an epoch time in milliseconds. Emulators have been seen
/// sending small constants; anything before 2001 is not a deadline. One further away than
/// Lambda's longest timeout (with a minute for clocks that disagree) is taken as that timeout:
/// `Instant::now() + ctx.remaining_time()` in a handler must not overflow.
fn deadline(header: Option<&str>) -> Option<SystemTime> {
    const EARLIEST_MS: u64 = 1_000_000_000_000;
    let ms = header?
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|ms| *ms >= EARLIEST_MS)?;
    let latest = SystemTime::now() + MAX_TIMEOUT;
    let deadline = UNIX_EPOCH
        .checked_add(Duration::from_millis(ms))
        .unwrap_or(latest);
    Some(if deadline > latest + CLOCK_SLACK {
        latest
    } else {
        deadline
    })
}

/// How far past Lambda's longest timeout a deadline may be before it is taken as wrong.
const CLOCK_SLACK: Duration = Duration::from_secs(60);

fn replace(field: &mut String, value: &str) {
    field.clear();
    field.push_str(value);
}

fn replace_option(field: &mut Option<String>, value: Option<&str>) {
    match (field.as_mut(), value) {
        (Some(field), Some(value)) => replace(field, value),
        (_, value) => *field = value.map(str::to_owned),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(
    request_id: &str,
    what: &str,
    value: Option<&str>,
) -> Option<T> {
    let value = value.filter(|v| !v.is_empty())?;
    match serde_json::from_str(value) {
        Ok(parsed) => Some(parsed),
        Err(e) => {
            crate::log::log!(
                Warn,
                "invocation {request_id} has a malformed {what} header: {e}"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::{HeaderName, HeaderValue};
    use lambda_handler_protocol::headers;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn headers_fill_the_invocation_fields() {
        let mut ctx = Context::default();
        begin(
            &mut ctx,
            "id-1",
            &headers(&[
                (
                    headers::FUNCTION_ARN,
                    "arn:aws:lambda:us-east-1:1:function:f",
                ),
                (headers::DEADLINE_MS, "1700000000123"),
                (headers::TRACE_ID, "Root=1-abc;Sampled=1"),
                (headers::TENANT_ID, "tenant-7"),
                (
                    headers::COGNITO_IDENTITY,
                    r#"{"cognitoIdentityId":"i","cognitoIdentityPoolId":"p"}"#,
                ),
                (
                    headers::CLIENT_CONTEXT,
                    r#"{"client":{"app_title":"t"},"custom":{"k":"v"},"env":{}}"#,
                ),
            ]),
        );
        assert_eq!(ctx.request_id, "id-1");
        assert_eq!(
            ctx.invoked_function_arn,
            "arn:aws:lambda:us-east-1:1:function:f"
        );
        assert_eq!(
            ctx.deadline,
            UNIX_EPOCH + Duration::from_millis(1_700_000_000_123)
        );
        assert_eq!(ctx.xray_trace_id.as_deref(), Some("Root=1-abc;Sampled=1"));
        assert_eq!(ctx.tenant_id.as_deref(), Some("tenant-7"));
        assert_eq!(ctx.identity.as_ref().unwrap().cognito_identity_pool_id, "p");
        let client_context = ctx.client_context.as_ref().unwrap();
        assert_eq!(client_context.client.as_ref().unwrap().app_title, "t");
        assert_eq!(client_context.custom["k"], "v");
    }

    #[test]
    fn the_next_invocation_leaves_nothing_of_the_last() {
        let mut ctx = Context::default();
        begin(
            &mut ctx,
            "a",
            &headers(&[(headers::TRACE_ID, "Root=1"), (headers::TENANT_ID, "t")]),
        );
        begin(&mut ctx, "b", &headers(&[(headers::DEADLINE_MS, "5")]));
        assert_eq!(ctx.request_id, "b");
        assert_eq!(ctx.xray_trace_id, None);
        assert_eq!(ctx.tenant_id, None);
        assert_eq!(ctx.invoked_function_arn, "");
    }

    #[test]
    fn malformed_headers_degrade_without_panicking() {
        let mut ctx = Context::default();
        begin(
            &mut ctx,
            "c",
            &headers(&[
                (headers::DEADLINE_MS, "soon"),
                (headers::COGNITO_IDENTITY, "{not json"),
            ]),
        );
        assert!(ctx.remaining_time() > Duration::from_secs(14 * 60));
        assert_eq!(ctx.identity, None);
    }

    #[test]
    fn deadlines_that_are_not_epoch_times_are_ignored() {
        assert_eq!(
            deadline(Some("1700000000123")),
            Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_123))
        );
        for bad in ["", "-5", "1.5", "600000", "18446744073709551615x"] {
            assert_eq!(deadline(Some(bad)), None, "{bad}");
        }
        assert_eq!(deadline(None), None);
    }

    #[test]
    fn a_deadline_past_lambdas_longest_timeout_is_that_timeout() {
        let far = Context {
            deadline: deadline(Some("18446744073709551615")).unwrap(),
            ..Context::default()
        };
        let remaining = far.remaining_time();
        assert!(remaining <= MAX_TIMEOUT, "{remaining:?}");
        assert!(
            remaining > MAX_TIMEOUT - Duration::from_secs(5),
            "{remaining:?}"
        );
        // What a handler computes with it does not overflow.
        let _ = std::time::Instant::now() + remaining;
        // Within the slack, the header is believed.
        let soon = SystemTime::now() + MAX_TIMEOUT + Duration::from_secs(30);
        let ms = soon
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis()
            .to_string();
        assert_eq!(
            deadline(Some(&ms)),
            Some(UNIX_EPOCH + Duration::from_millis(ms.parse().unwrap()))
        );
    }
}
