//! What a handler learns about its invocation and its function: Python's `context` object.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::HeaderMap;
use hyper::header::HeaderName;

use crate::headers;
use serde::Deserialize;

/// Lambda's longest timeout: the deadline assumed when an invocation carries none.
const MAX_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// The invocation context passed to a handler as `ctx: &Context`.
///
/// Per-invocation fields come from the Runtime API's `Lambda-Runtime-*` headers; the function's
/// own fields from Lambda's standard environment variables (`AWS_LAMBDA_FUNCTION_NAME` and
/// so on), read once at start-up.
///
/// Build one in unit tests from [`Default`] and set what the handler reads:
///
/// ```
/// use lambda_handler::Context;
/// use std::time::{Duration, SystemTime};
///
/// let mut ctx = Context::default();
/// ctx.request_id = "test-request".into();
/// ctx.deadline = SystemTime::now() + Duration::from_secs(3);
/// assert!(ctx.remaining_time() > Duration::from_secs(2));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Context {
    /// The invocation's request id (`Lambda-Runtime-Aws-Request-Id`), Python's
    /// `aws_request_id`.
    pub request_id: String,
    /// The ARN the caller invoked, with its version or alias if one was named.
    pub invoked_function_arn: String,
    /// When Lambda stops the invocation (`Lambda-Runtime-Deadline-Ms`); see
    /// [`remaining_time`](Self::remaining_time). The Unix epoch in a default context. A
    /// missing or malformed header, or one further away than Lambda's 15-minute maximum (plus
    /// a minute for clocks), is taken as that maximum from now: `Instant::now() +
    /// ctx.remaining_time()` never overflows.
    pub deadline: SystemTime,
    /// The function's name (`AWS_LAMBDA_FUNCTION_NAME`).
    pub function_name: String,
    /// The function version being run (`AWS_LAMBDA_FUNCTION_VERSION`), `$LATEST` or a number.
    pub function_version: String,
    /// The memory configured for the function (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`), in MB.
    pub memory_limit_in_mb: u32,
    /// The CloudWatch Logs group the function writes to (`AWS_LAMBDA_LOG_GROUP_NAME`).
    pub log_group_name: String,
    /// The CloudWatch Logs stream of this execution environment (`AWS_LAMBDA_LOG_STREAM_NAME`).
    pub log_stream_name: String,
    /// The AWS X-Ray trace header (`Lambda-Runtime-Trace-Id`).
    ///
    /// The runtime also sets the `_X_AMZN_TRACE_ID` environment variable to it before each
    /// invocation (and removes it for an invocation without one), as Lambda's other runtimes
    /// do, for AWS SDKs that read it there; any thread may read it meanwhile and gets one
    /// invocation's whole trace id. `LAMBDA_HANDLER_TRACE_ENV=off` leaves the environment
    /// alone. With several invocations at once (`AWS_LAMBDA_MAX_CONCURRENCY`), the variable is
    /// never set and this field is the only source.
    pub xray_trace_id: Option<String>,
    /// The Amazon Cognito identity that authorized the request, for calls from the AWS
    /// Mobile SDK.
    pub identity: Option<CognitoIdentity>,
    /// The client application and its data, for calls from the AWS Mobile SDK.
    pub client_context: Option<ClientContext>,
    /// The tenant of a multi-tenant function (`Lambda-Runtime-Aws-Tenant-Id`).
    pub tenant_id: Option<String>,
}

/// The Amazon Cognito identity of the caller, Python's `context.identity`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
#[serde(rename_all = "camelCase")]
pub struct CognitoIdentity {
    /// The authenticated Amazon Cognito identity.
    #[serde(default)]
    pub cognito_identity_id: String,
    /// The Amazon Cognito identity pool that authorized the invocation.
    #[serde(default)]
    pub cognito_identity_pool_id: String,
}

/// The client context sent by the AWS Mobile SDK, Python's `context.client_context`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ClientContext {
    /// The client application.
    #[serde(default)]
    pub client: Option<ClientApplication>,
    /// Custom values set by the mobile application.
    #[serde(default)]
    pub custom: HashMap<String, serde_json::Value>,
    /// Environment information provided by the AWS SDK.
    #[serde(default)]
    pub env: HashMap<String, serde_json::Value>,
}

/// The mobile application that invoked the function.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ClientApplication {
    /// The installation of the application.
    #[serde(default)]
    pub installation_id: String,
    /// The application's title.
    #[serde(default)]
    pub app_title: String,
    /// The application's version name.
    #[serde(default)]
    pub app_version_name: String,
    /// The application's version code.
    #[serde(default)]
    pub app_version_code: String,
    /// The application's package name.
    #[serde(default)]
    pub app_package_name: String,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            request_id: String::new(),
            invoked_function_arn: String::new(),
            deadline: UNIX_EPOCH,
            function_name: String::new(),
            function_version: String::new(),
            memory_limit_in_mb: 0,
            log_group_name: String::new(),
            log_stream_name: String::new(),
            xray_trace_id: None,
            identity: None,
            client_context: None,
            tenant_id: None,
        }
    }
}

impl Context {
    /// The time left before Lambda stops this invocation, zero once the deadline has passed:
    /// Python's `get_remaining_time_in_millis()`.
    pub fn remaining_time(&self) -> Duration {
        self.deadline
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    }

    /// The function's own fields, from Lambda's standard environment variables.
    pub(crate) fn from_environment() -> Self {
        use lambda_handler_protocol::env;
        let var = |name| std::env::var(name).unwrap_or_default();
        Context {
            function_name: var(env::FUNCTION_NAME),
            function_version: var(env::FUNCTION_VERSION),
            memory_limit_in_mb: var(env::FUNCTION_MEMORY_SIZE).parse().unwrap_or(0),
            log_group_name: var(env::LOG_GROUP_NAME),
            log_stream_name: var(env::LOG_STREAM_NAME),
            ..Context::default()
        }
    }

    /// Replaces the per-invocation fields with those of the next invocation's headers,
    /// reusing the strings' buffers. A missing or malformed header degrades to an empty
    /// value with a log line: an invocation is never refused for its metadata.
    pub(crate) fn begin_invocation(&mut self, request_id: &str, headers: &HeaderMap) {
        let header = |name: HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        replace(&mut self.request_id, request_id);
        let arn = header(headers::FUNCTION_ARN).unwrap_or_else(|| {
            static LOGGED: AtomicBool = AtomicBool::new(false);
            log_once(&LOGGED, format_args!("invocation {request_id} has no Lambda-Runtime-Invoked-Function-Arn; `invoked_function_arn` is empty"));
            ""
        });
        replace(&mut self.invoked_function_arn, arn);
        self.deadline = deadline(header(headers::DEADLINE_MS)).unwrap_or_else(|| {
            static LOGGED: AtomicBool = AtomicBool::new(false);
            log_once(&LOGGED, format_args!("invocation {request_id} has no Lambda-Runtime-Deadline-Ms epoch time; remaining_time() assumes Lambda's 15 minute maximum"));
            SystemTime::now() + MAX_TIMEOUT
        });
        replace_option(&mut self.xray_trace_id, header(headers::TRACE_ID));
        replace_option(&mut self.tenant_id, header(headers::TENANT_ID));
        self.identity = parse_json(
            request_id,
            "cognito identity",
            header(headers::COGNITO_IDENTITY),
        );
        self.client_context = parse_json(
            request_id,
            "client context",
            header(headers::CLIENT_CONTEXT),
        );
    }
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
        ctx.begin_invocation(
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
        ctx.begin_invocation(
            "a",
            &headers(&[(headers::TRACE_ID, "Root=1"), (headers::TENANT_ID, "t")]),
        );
        ctx.begin_invocation("b", &headers(&[(headers::DEADLINE_MS, "5")]));
        assert_eq!(ctx.request_id, "b");
        assert_eq!(ctx.xray_trace_id, None);
        assert_eq!(ctx.tenant_id, None);
        assert_eq!(ctx.invoked_function_arn, "");
    }

    #[test]
    fn malformed_headers_degrade_without_panicking() {
        let mut ctx = Context::default();
        ctx.begin_invocation(
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

    #[test]
    fn a_passed_deadline_leaves_no_time() {
        let ctx = Context {
            deadline: UNIX_EPOCH + Duration::from_millis(5),
            ..Context::default()
        };
        assert_eq!(ctx.remaining_time(), Duration::ZERO);
    }
}
