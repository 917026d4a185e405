//! How failures reach Lambda: the JSON body of `/invocation/{id}/error` and `/init/error`.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;

use lambda_handler_protocol::error_types::{is_error_type_name, is_valid_error_type};
use serde::Serialize;

/// A failed invocation (or start-up) as Lambda reports it to the caller, in the Python
/// runtime's shape: `{"errorMessage": "...", "errorType": "...", "stackTrace": [...]}`.
///
/// A handler returning `Err(e)` produces one with `errorMessage` = `e.to_string()` and
/// `errorType` = the short name of `e`'s type (`MyError` for `my_crate::MyError`). Failures
/// the runtime detects have `Runtime.*` types: `Runtime.UnmarshalError` (the event does not
/// decode), `Runtime.MarshalError` (the result does not encode), `Runtime.Panic` (the
/// handler panicked), `Runtime.HandlerNotFound` (at start-up).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct InvocationError {
    /// What went wrong, for a person.
    #[serde(rename = "errorMessage")]
    pub error_message: String,
    /// The kind of failure, for a program: `Runtime.*` or the handler's error type.
    #[serde(rename = "errorType")]
    pub error_type: String,
    /// The error's `source()` chain, outermost first (empty when it has none).
    #[serde(rename = "stackTrace")]
    pub stack_trace: Vec<String>,
}

impl InvocationError {
    /// A failure of the given type and message.
    pub fn new(error_type: impl Into<String>, error_message: impl Into<String>) -> Self {
        InvocationError {
            error_message: error_message.into(),
            error_type: error_type.into(),
            stack_trace: Vec::new(),
        }
    }

    /// The error a handler returned as `Err(error)`.
    pub(crate) fn from_handler_error<E: fmt::Display>(error: E) -> Self {
        Self::new(short_type_name::<E>(), error.to_string())
    }

    /// The error a handler returned as `Err(error)`, with its `source()` chain as the trace.
    pub(crate) fn from_error<E>(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut report = Self::new(short_type_name::<E>(), error.to_string());
        let mut source = error.source();
        while let Some(cause) = source {
            report.stack_trace.push(cause.to_string());
            source = cause.source();
        }
        report
    }

    /// `path` is where in the event decoding failed (`.` for the root).
    pub(crate) fn unmarshal(path: &str, error: String) -> Self {
        let at = match path {
            "" | "." => String::new(),
            path => format!(" at `{path}`"),
        };
        Self::new(
            "Runtime.UnmarshalError",
            format!("the event does not decode into the handler's event type{at}: {error}"),
        )
    }

    /// The error Lambda's caller gets for a response over Lambda's limit.
    pub(crate) fn response_too_large() -> Self {
        Self::new(
            lambda_handler_protocol::error_types::RESPONSE_SIZE_TOO_LARGE,
            lambda_handler_protocol::error_types::response_size_too_large_message(),
        )
    }

    /// A response of `len` bytes within Lambda's limit, or the error Lambda's caller gets.
    pub(crate) fn check_response_size(len: usize) -> Result<(), Self> {
        if len <= lambda_handler_protocol::limits::MAX_RESPONSE {
            Ok(())
        } else {
            Err(Self::response_too_large())
        }
    }

    pub(crate) fn marshal(error: serde_json::Error) -> Self {
        Self::new(
            "Runtime.MarshalError",
            format!("the handler's result does not encode as JSON: {error}"),
        )
    }

    /// The error of a caught panic, whose payload is dropped here.
    pub(crate) fn panic(payload: Box<dyn Any + Send>) -> Self {
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("a panic with a non-string payload");
        let error = Self::new("Runtime.Panic", format!("the handler panicked: {message}"));
        drop_payload(payload);
        error
    }

    /// The value of the `Lambda-Runtime-Function-Error-Type` header: Lambda records anything
    /// outside `(Runtime|Function)\.[A-Z][a-zA-Z]+` as an unknown error, so a handler's own
    /// error type is sent as `Function.<Type>` when it fits, else `Function.Unhandled`.
    pub(crate) fn header_value(&self) -> Cow<'_, str> {
        if is_valid_error_type(&self.error_type) {
            Cow::Borrowed(&self.error_type)
        } else if is_error_type_name(&self.error_type) {
            Cow::Owned(format!("Function.{}", self.error_type))
        } else {
            Cow::Borrowed("Function.Unhandled")
        }
    }

    pub(crate) fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("strings always encode")
    }
}

impl fmt::Display for InvocationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.error_message)
    }
}

impl std::error::Error for InvocationError {}

/// Drops a panic's payload where a panic in its `Drop` is caught too: a payload type whose
/// `drop` panics (`panic_any(Bomb)`) would otherwise unwind out of the runtime's own code and
/// end the invocation loop. A second payload is forgotten, not dropped.
fn drop_payload(payload: Box<dyn Any + Send>) {
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(payload)));
    if let Err(again) = dropped {
        std::mem::forget(again);
    }
}

/// `MyError` for `my_crate::handler::error::MyError`, `Error` for `Box<dyn Error + Send + Sync>`, as
/// Python reports an exception by its class name.
pub(crate) fn short_type_name<E>() -> &'static str {
    let mut name = std::any::type_name::<E>().trim_start_matches('&');
    if let Some(inner) = name
        .strip_prefix("alloc::boxed::Box<")
        .and_then(|n| n.strip_suffix('>'))
    {
        name = inner.trim_start_matches("dyn ");
    }
    let name = name.split([' ', '<']).next().unwrap_or(name);
    name.rsplit("::").next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_what_python_would_print() {
        struct MyError;
        assert_eq!(short_type_name::<MyError>(), "MyError");
        assert_eq!(
            short_type_name::<Box<dyn std::error::Error + Send + Sync>>(),
            "Error"
        );
        assert_eq!(short_type_name::<std::io::Error>(), "Error");
        assert_eq!(short_type_name::<String>(), "String");
        assert_eq!(short_type_name::<&str>(), "str");
        assert_eq!(short_type_name::<Vec<u8>>(), "Vec");
    }

    #[test]
    fn header_values_match_lambdas_pattern() {
        let header = |t: &str| InvocationError::new(t, "").header_value().into_owned();
        assert_eq!(header("Runtime.UnmarshalError"), "Runtime.UnmarshalError");
        assert_eq!(header("MyError"), "Function.MyError");
        assert_eq!(header("str"), "Function.Unhandled");
        assert_eq!(header("Runtime.bad"), "Function.Unhandled");
        // One letter is not Lambda's `[A-Z][a-zA-Z]+`: `struct E`'s errors are unhandled.
        assert_eq!(header("E"), "Function.Unhandled");
        assert_eq!(header("Function.E"), "Function.Unhandled");
    }

    #[test]
    fn the_body_has_pythons_keys() {
        let json = InvocationError::new("ValueError", "bad").to_json();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"errorMessage":"bad","errorType":"ValueError","stackTrace":[]}"#
        );
    }

    #[test]
    fn panic_payloads_become_messages() {
        let e = InvocationError::panic(Box::new("boom"));
        assert_eq!(e.error_message, "the handler panicked: boom");
        let e = InvocationError::panic(Box::new(String::from("owned")));
        assert_eq!(e.error_message, "the handler panicked: owned");
    }

    #[test]
    fn a_payload_whose_drop_panics_is_contained() {
        struct Bomb;
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("the payload's drop panicked");
            }
        }
        let e = InvocationError::panic(Box::new(Bomb));
        assert_eq!(e.error_type, "Runtime.Panic");
    }
}
