//! The environment Lambda gives a custom runtime.

use std::time::Duration;

/// `host:port` of the Runtime API (on AWS), or `http://host:port/base/path` (local tools).
pub(crate) const RUNTIME_API_VAR: &str = "AWS_LAMBDA_RUNTIME_API";

/// The handler setting of the function: which registered handler to serve.
pub(crate) const HANDLER_VAR: &str = "_HANDLER";

/// Lambda's default function timeout, used locally when none is configured.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// The function timeout, as an emulator sets it (`AWS_LAMBDA_FUNCTION_TIMEOUT`, seconds).
pub(crate) fn function_timeout() -> Duration {
    std::env::var("AWS_LAMBDA_FUNCTION_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs)
}
