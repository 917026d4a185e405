//! The `errorType`s Lambda and this runtime report, and the messages that go with them.

/// A response over [`crate::limits::MAX_RESPONSE`].
pub const RESPONSE_SIZE_TOO_LARGE: &str = "Function.ResponseSizeTooLarge";
/// An invocation that ran past its deadline.
pub const SANDBOX_TIMEDOUT: &str = "Sandbox.Timedout";
/// A runtime that exited during an invocation.
pub const RUNTIME_EXIT_ERROR: &str = "Runtime.ExitError";
/// A runtime that could not be started.
pub const RUNTIME_INVALID_ENTRYPOINT: &str = "Runtime.InvalidEntrypoint";
/// An error body a runtime posted that is not Lambda's JSON error shape.
pub const RUNTIME_UNKNOWN: &str = "Runtime.Unknown";
/// An event too large for the runtime to read (Lambda never sends one).
pub const RUNTIME_EVENT_TOO_LARGE: &str = "Runtime.EventTooLarge";
/// A response that could not be posted again after its connection failed.
pub const RUNTIME_RESPONSE_LOST: &str = "Runtime.ResponseLost";
/// `run()` called inside a tokio runtime, which it cannot start another inside.
pub const RUNTIME_NESTED_RUNTIME: &str = "Runtime.NestedRuntime";
/// A response posted with a `Lambda-Runtime-Function-Response-Mode` other than `streaming`
/// (RIE's `fatalerror.RuntimeInvalidResponseModeHeader`).
pub const RUNTIME_INVALID_RESPONSE_MODE: &str = "Runtime.InvalidResponseModeHeader";

/// The message of [`RESPONSE_SIZE_TOO_LARGE`], as Lambda's callers see it.
pub fn response_size_too_large_message() -> String {
    format!(
        "Response payload size exceeded maximum allowed payload size ({} bytes).",
        crate::limits::MAX_RESPONSE
    )
}

/// The message of [`SANDBOX_TIMEDOUT`].
pub fn timed_out_message(request_id: &str, seconds: f64) -> String {
    format!("RequestId: {request_id} Error: Task timed out after {seconds:.2} seconds")
}
