//! The error a durable operation returns: a step that failed for good, a callback that
//! failed or timed out, a child context or a chained invoke that failed.

use std::fmt;

use super::model::ErrorObject;

/// A durable operation that failed, as the execution's history records it.
///
/// On replay the original Rust error is gone (the history keeps its type name and message),
/// so every operation reports this one type: match on [`error_type`](Self::error_type)
/// to tell failures apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DurableError {
    kind: &'static str,
    error: ErrorObject,
}

impl DurableError {
    pub(crate) fn new(kind: &'static str, error: ErrorObject) -> Self {
        DurableError { kind, error }
    }

    /// The failure of a user function, from its error: the type's short name and message.
    pub(crate) fn object_of<E: fmt::Display>(error: &E) -> ErrorObject {
        ErrorObject {
            error_type: Some(crate::handler::error::short_type_name::<E>().to_owned()),
            error_message: Some(error.to_string()),
            ..ErrorObject::default()
        }
    }

    /// What failed: `StepError`, `CallbackError`, `ChildContextError`, `InvokeError`,
    /// `WaitForConditionError`, `CallbackSubmitterError` or `SerDesError`.
    pub fn kind(&self) -> &str {
        self.kind
    }

    /// The failed function's error type (its short name), or the service's error type.
    pub fn error_type(&self) -> Option<&str> {
        self.error.error_type.as_deref()
    }

    /// The error's message.
    pub fn message(&self) -> &str {
        self.error.error_message.as_deref().unwrap_or("")
    }

    /// The error as the history records it.
    pub fn error_object(&self) -> &ErrorObject {
        &self.error
    }
}

impl fmt::Display for DurableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.error_type() {
            Some(ty) => write!(f, "{}: {ty}: {}", self.kind, self.message()),
            None => write!(f, "{}: {}", self.kind, self.message()),
        }
    }
}

impl std::error::Error for DurableError {}
