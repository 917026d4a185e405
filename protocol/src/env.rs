//! The environment Lambda gives a custom runtime, and the settings read from it.

use std::time::Duration;

use crate::limits::{DEFAULT_TIMEOUT, MAX_TIMEOUT};

/// `host:port` of the Runtime API (on AWS), or `http://host:port/base/path` (local tools).
pub const RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
/// The function's handler setting.
pub const HANDLER: &str = "_HANDLER";
/// The function's name.
pub const FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";
/// The function version being run.
pub const FUNCTION_VERSION: &str = "AWS_LAMBDA_FUNCTION_VERSION";
/// The function's memory, in MB.
pub const FUNCTION_MEMORY_SIZE: &str = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
/// The function timeout in seconds (set by emulators; Lambda itself does not).
pub const FUNCTION_TIMEOUT: &str = "AWS_LAMBDA_FUNCTION_TIMEOUT";
/// The CloudWatch Logs group.
pub const LOG_GROUP_NAME: &str = "AWS_LAMBDA_LOG_GROUP_NAME";
/// The CloudWatch Logs stream.
pub const LOG_STREAM_NAME: &str = "AWS_LAMBDA_LOG_STREAM_NAME";
/// Lambda's advanced logging controls: `Text` (the default) or `JSON`, for the function's
/// lines and the platform's.
pub const LOG_FORMAT: &str = "AWS_LAMBDA_LOG_FORMAT";
/// Lambda's advanced logging controls: the least level written, `TRACE` to `FATAL`.
pub const LOG_LEVEL: &str = "AWS_LAMBDA_LOG_LEVEL";

/// Whether a [`LOG_FORMAT`] value asks for JSON.
pub fn is_json_log_format(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("json")
}

/// Where other Lambda runtimes put the invocation's X-Ray trace header, for AWS SDKs.
pub const TRACE_ID: &str = "_X_AMZN_TRACE_ID";

/// How many invocations Lambda sends one execution environment at once: set on Lambda Managed
/// Instances (the function's `PerExecutionEnvironmentMaxConcurrency`), unset elsewhere, where
/// an environment serves one invocation at a time. aws-lambda-go reads it the same way
/// (aws/aws-lambda-go#600: one `/next` loop per unit, in-flight invocations finish when the
/// environment ends).
pub const MAX_CONCURRENCY: &str = "AWS_LAMBDA_MAX_CONCURRENCY";

/// Where the AWS SDKs send Lambda API calls instead of Lambda's regional endpoint: a durable
/// function's checkpoints go to the local durable-execution service through it.
pub const ENDPOINT_URL_LAMBDA: &str = "AWS_ENDPOINT_URL_LAMBDA";

/// The most invocation loops a runtime runs at once, whatever [`MAX_CONCURRENCY`] says: each
/// loop is a thread, and Lambda's own defaults (16 to 64 per vCPU) stay far below it.
pub const MAX_LOOPS: usize = 1024;

/// Parses a concurrency, as [`MAX_CONCURRENCY`] or `--concurrency` gives it: 1 to
/// [`MAX_LOOPS`].
pub fn parse_concurrency(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_LOOPS).contains(&n) => Ok(n),
        Ok(_) => Err(format!(
            "a concurrency is 1 to {MAX_LOOPS} invocations at once, not {value}"
        )),
        Err(_) => Err(format!("`{value}` is not a whole number of invocations")),
    }
}

/// Parses a function timeout in whole seconds, as Lambda accepts it: 1 to 900.
pub fn parse_timeout(seconds: &str) -> Result<Duration, String> {
    let max = MAX_TIMEOUT.as_secs();
    match seconds.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(Duration::from_secs(n)),
        Ok(_) => Err(format!(
            "a function timeout is 1 to {max} seconds (Lambda's range), not {seconds}"
        )),
        Err(_) => Err(format!("`{seconds}` is not a whole number of seconds")),
    }
}

/// The function timeout an emulator set in [`FUNCTION_TIMEOUT`], or Lambda's default when it
/// is unset or out of Lambda's range.
pub fn function_timeout() -> Duration {
    std::env::var(FUNCTION_TIMEOUT)
        .ok()
        .and_then(|v| parse_timeout(&v).ok())
        .unwrap_or(DEFAULT_TIMEOUT)
}

#[cfg(test)]
mod tests {
    use super::parse_timeout;
    use std::time::Duration;

    #[test]
    fn json_is_the_only_json_log_format() {
        for json in ["JSON", "json", " Json\n"] {
            assert!(super::is_json_log_format(json), "{json:?}");
        }
        for other in ["Text", "", "JSONL", "jso n"] {
            assert!(!super::is_json_log_format(other), "{other:?}");
        }
    }

    #[test]
    fn the_function_timeout_is_one_lambda_allows() {
        // Unset, the default; set (by an emulator), its value. Either is 1 s to 15 min.
        let timeout = super::function_timeout();
        assert!(
            (Duration::from_secs(1)..=super::MAX_TIMEOUT).contains(&timeout),
            "{timeout:?}"
        );
        if std::env::var_os(super::FUNCTION_TIMEOUT).is_none() {
            assert_eq!(timeout, super::DEFAULT_TIMEOUT);
        }
    }

    #[test]
    fn concurrency_is_a_count_of_loops() {
        assert_eq!(super::parse_concurrency("8"), Ok(8));
        assert_eq!(super::parse_concurrency(" 1 "), Ok(1));
        for bad in ["0", "1025", "-2", "eight", ""] {
            assert!(super::parse_concurrency(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timeouts_are_lambdas_range() {
        assert_eq!(parse_timeout("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_timeout(" 900 "), Ok(Duration::from_secs(900)));
        for bad in [
            "0",
            "901",
            "18446744073709551615",
            "18446744073709551616",
            "-1",
            "soon",
        ] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
