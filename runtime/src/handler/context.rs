//! What a handler learns about its invocation and its function: Python's `context` object.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

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
    #[must_use]
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passed_deadline_leaves_no_time() {
        let ctx = Context {
            deadline: UNIX_EPOCH + Duration::from_millis(5),
            ..Context::default()
        };
        assert_eq!(ctx.remaining_time(), Duration::ZERO);
    }
}
