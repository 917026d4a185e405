//! The durable-execution API's facts (Lambda API version 2025-12-01), as its model gives them
//! (botocore's `lambda/2015-03-31/service-2.json`: `CheckpointDurableExecution`,
//! `GetDurableExecutionState`, `GetDurableExecution(History)`,
//! `SendDurableExecutionCallback{Success,Failure,Heartbeat}`, `StopDurableExecution`), shared
//! by the emulator that serves them and the tests that call them.

/// Every execution's API: `{prefix}{DurableExecutionArn}` (`GetDurableExecution`), with
/// [`CHECKPOINT`], [`STATE`], [`HISTORY`] or [`STOP`] after it. The ARN is URL-encoded in the
/// path, as SDKs send a label.
pub const EXECUTIONS_PREFIX: &str = "/2025-12-01/durable-executions/";
/// `POST`: `CheckpointDurableExecution`, after the ARN.
pub const CHECKPOINT: &str = "/checkpoint";
/// `GET`: `GetDurableExecutionState`, after the ARN.
pub const STATE: &str = "/state";
/// `GET`: `GetDurableExecutionHistory`, after the ARN.
pub const HISTORY: &str = "/history";
/// `POST`: `StopDurableExecution`, after the ARN.
pub const STOP: &str = "/stop";

/// `ListDurableExecutionsByFunction`: `GET {prefix}{FunctionName}{suffix}`.
pub const FUNCTION_EXECUTIONS_PREFIX: &str = "/2025-12-01/functions/";
/// See [`FUNCTION_EXECUTIONS_PREFIX`].
pub const FUNCTION_EXECUTIONS_SUFFIX: &str = "/durable-executions";

/// Callbacks: `POST {prefix}{CallbackId}` with [`CALLBACK_SUCCEED`], [`CALLBACK_FAIL`] or
/// [`CALLBACK_HEARTBEAT`] after it.
pub const CALLBACKS_PREFIX: &str = "/2025-12-01/durable-execution-callbacks/";
/// `SendDurableExecutionCallbackSuccess`: the body is the result, as sent.
pub const CALLBACK_SUCCEED: &str = "/succeed";
/// `SendDurableExecutionCallbackFailure`: the body is an `ErrorObject`.
pub const CALLBACK_FAIL: &str = "/fail";
/// `SendDurableExecutionCallbackHeartbeat`.
pub const CALLBACK_HEARTBEAT: &str = "/heartbeat";

/// `Invoke`'s reply header naming the execution an invocation of a durable function started.
pub const EXECUTION_ARN_HEADER: &str = "x-amz-durable-execution-arn";
/// `Invoke`'s request header naming the execution (idempotent: the same name is the same
/// execution).
pub const EXECUTION_NAME_HEADER: &str = "x-amz-durable-execution-name";

/// The error type of a callback whose `TimeoutSeconds` passed (AWS's SDKs'
/// `CallbackTimeoutType.TIMEOUT`).
pub const CALLBACK_TIMEOUT: &str = "Callback.Timeout";
/// The error type of a callback whose `HeartbeatTimeoutSeconds` passed without a heartbeat.
pub const CALLBACK_HEARTBEAT_TIMEOUT: &str = "Callback.Heartbeat";
/// The error type of an execution that ran past its `ExecutionTimeout`.
pub const EXECUTION_TIMED_OUT: &str = "Execution.TimedOut";
/// The error type of a chained invoke whose target function does not exist.
pub const FUNCTION_NOT_FOUND: &str = "ResourceNotFoundException";

/// The longest wait and step retry delay an update may ask for (`WaitOptions.WaitSeconds`,
/// `StepOptions.NextAttemptDelaySeconds`: 1 to 31,622,400 in the API model), a year.
pub const MAX_WAIT_SECONDS: u32 = 31_622_400;
/// The longest callback timeout and heartbeat timeout (`CallbackOptions`: 0, none, to
/// 99,999,999 in the API model).
pub const MAX_CALLBACK_TIMEOUT_SECONDS: u32 = 99_999_999;

/// `DurableConfig.ExecutionTimeout` when none is set: a day. AWS allows up to a year.
pub const DEFAULT_EXECUTION_TIMEOUT_SECONDS: u64 = 86_400;
/// The longest execution timeout the API accepts: one year.
pub const MAX_EXECUTION_TIMEOUT_SECONDS: u64 = 31_622_400;

/// Consecutive failed invocations (a crash, a timeout) after which the service fails the
/// execution with the last one's error, and the pause before each retry; the numbers AWS's
/// `dex-local-runner` uses (`executor.py`, `MAX_CONSECUTIVE_FAILED_ATTEMPTS`,
/// `RETRY_BACKOFF_SECONDS`).
pub const MAX_FAILED_INVOCATIONS: u32 = 5;
/// See [`MAX_FAILED_INVOCATIONS`].
pub const INVOCATION_RETRY_SECONDS: u64 = 5;

/// `--execution-timeout SECONDS`: 1 second to a year, as `DurableConfig.ExecutionTimeout`.
pub fn parse_execution_timeout(seconds: &str) -> Result<std::time::Duration, String> {
    match seconds.trim().parse::<u64>() {
        Ok(n) if (1..=MAX_EXECUTION_TIMEOUT_SECONDS).contains(&n) => {
            Ok(std::time::Duration::from_secs(n))
        }
        _ => Err(format!(
            "an execution timeout is a whole number of seconds from 1 to \
             {MAX_EXECUTION_TIMEOUT_SECONDS} (a year)"
        )),
    }
}
