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
/// A streamed HTTP response to a source that reads one whole JSON answer (an ALB, an HTTP
/// API, VPC Lattice).
pub const RUNTIME_STREAM_NOT_READ: &str = "Runtime.StreamNotRead";
/// A response posted with a `Lambda-Runtime-Function-Response-Mode` other than `streaming`
/// (RIE's `fatalerror.RuntimeInvalidResponseModeHeader`).
pub const RUNTIME_INVALID_RESPONSE_MODE: &str = "Runtime.InvalidResponseModeHeader";

/// Whether Lambda takes `value` (a `Lambda-Runtime-Function-Error-Type` header or trailer) as
/// the error type: it must be `(Runtime|Function)\.[A-Z][a-zA-Z]+`, else Lambda records
/// `Function.Unknown` (for a `Function.` prefix) or `Runtime.Unknown` (rapid's
/// `GetValidRuntimeOrFunctionErrorType`, `rapid/model` of RIE's Managed Instances tree; its
/// regular expression is unanchored, and a runtime that means its type to be kept sends it
/// whole).
pub fn is_valid_error_type(value: &str) -> bool {
    match value.split_once('.') {
        Some(("Runtime" | "Function", name)) => is_error_type_name(name),
        _ => false,
    }
}

/// `[A-Z][a-zA-Z]+`: an uppercase letter, then at least one letter more.
pub fn is_error_type_name(name: &str) -> bool {
    let mut letters = name.chars();
    letters.next().is_some_and(|c| c.is_ascii_uppercase())
        && name.len() >= 2
        && letters.all(|c| c.is_ascii_alphabetic())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_are_lambdas_pattern_whole() {
        for valid in [
            "Runtime.UnmarshalError",
            "Function.MyError",
            "Runtime.Ab",
            RESPONSE_SIZE_TOO_LARGE,
            SANDBOX_TIMEDOUT,
            RUNTIME_EXIT_ERROR,
            RUNTIME_UNKNOWN,
            RUNTIME_EVENT_TOO_LARGE,
            RUNTIME_RESPONSE_LOST,
            RUNTIME_NESTED_RUNTIME,
            RUNTIME_INVALID_RESPONSE_MODE,
            RUNTIME_INVALID_ENTRYPOINT,
            RUNTIME_STREAM_NOT_READ,
        ] {
            assert!(
                is_valid_error_type(valid) || valid.starts_with("Sandbox."),
                "{valid}"
            );
        }
        for invalid in [
            "Function.E",
            "Function.e",
            "Runtime.bad",
            "Other.Error",
            "MyError",
            "Function.My_Error",
            "Function.MyError2",
            "Function.",
            "",
        ] {
            assert!(!is_valid_error_type(invalid), "{invalid}");
        }
        assert!(is_error_type_name("Ab") && !is_error_type_name("A") && !is_error_type_name("aB"));
    }

    #[test]
    fn messages_are_lambdas() {
        assert_eq!(
            response_size_too_large_message(),
            "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
        );
        assert_eq!(
            timed_out_message("r-1", 3.0),
            "RequestId: r-1 Error: Task timed out after 3.00 seconds"
        );
    }
}
