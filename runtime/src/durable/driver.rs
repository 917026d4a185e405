//! One durable invocation from envelope to answer: read the history (every page), decode
//! the execution's input, run the handler until it returns, suspends or halts, and answer
//! as the durable-execution API expects (`aws_durable_execution_sdk_python/execution.py`).

use std::future::Future;
use std::pin::pin;
use std::task::Poll;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::context::DurableContext;
use super::error::DurableError;
use super::execution::{Execution, Halt};
use super::model::{
    Action, DurableOutput, ErrorObject, Invocation, InvocationStatus, OperationType,
    OperationUpdate, UpdateOptions,
};
use crate::handler::error::InvocationError;

/// The largest result an answer carries (Lambda's 6 MB response limit less the envelope,
/// as the Python SDK allows); a larger one is recorded by a checkpoint instead.
const RESPONSE_LIMIT: usize = lambda_handler_protocol::limits::MAX_SYNC_PAYLOAD - 50;

/// What a durable handler returns: a value, or an error that fails the execution.
#[diagnostic::on_unimplemented(
    message = "a durable handler returns `Result<T, E>`, not `{Self}`",
    label = "the result must be a `Result` whose value implements `serde::Serialize` and whose error implements `std::fmt::Display`",
    note = "`async fn order(event: Order, ctx: DurableContext) -> Result<Receipt, lambda_handler::durable::DurableError>`"
)]
pub trait DurableReturn {
    /// The execution's result as JSON, its error, or why the result does not encode. The
    /// generated handler names it as `<Output as DurableReturn>::..`, so a type that is not
    /// a result is reported at the user's type.
    #[doc(hidden)]
    fn __lambda_handler_outcome(self) -> Outcome;
}

/// What a durable handler's return came to.
#[doc(hidden)]
pub enum Outcome {
    /// The result, as JSON.
    Value(String),
    /// The execution's error.
    Failed(ErrorObject),
    /// The result does not encode as JSON.
    Unencodable(String),
}

#[diagnostic::do_not_recommend]
impl<T: Serialize, E: std::fmt::Display + 'static> DurableReturn for Result<T, E> {
    fn __lambda_handler_outcome(self) -> Outcome {
        match self {
            Ok(value) => match serde_json::to_string(&value) {
                Ok(json) => Outcome::Value(json),
                Err(error) => Outcome::Unencodable(error.to_string()),
            },
            Err(error) => Outcome::Failed(execution_error(&error)),
        }
    }
}

/// The execution's error: a durable operation's failure that the handler passed on (with
/// `?`, or boxed) keeps the original message, typed by what failed (`CallbackError`), as
/// AWS's SDKs report it; any other error by its type and message.
fn execution_error<E: std::fmt::Display + 'static>(error: &E) -> ErrorObject {
    use std::any::Any;
    use std::error::Error;
    let any: &dyn Any = error;
    let durable = any
        .downcast_ref::<DurableError>()
        .or_else(|| {
            any.downcast_ref::<Box<dyn Error + Send + Sync>>()?
                .downcast_ref()
        })
        .or_else(|| any.downcast_ref::<Box<dyn Error>>()?.downcast_ref());
    match durable {
        Some(durable) => ErrorObject {
            error_type: Some(durable.kind().to_owned()),
            ..durable.error_object().clone()
        },
        None => DurableError::object_of(error),
    }
}

/// A durable handler's event: the execution's input, decoded from JSON.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a durable function's event",
    label = "the event type must implement `serde::Deserialize` and own its data",
    note = "derive it with `#[derive(serde::Deserialize)]`, or take `serde_json::Value` to accept any input"
)]
pub trait DurableEvent: Sized {
    /// Decodes the execution's input. The generated handler names it as
    /// `<Event as DurableEvent>::..`, so a type that is not an event is reported there.
    #[doc(hidden)]
    fn __lambda_handler_decode(input: &str) -> Result<Self, serde_json::Error>;
}

#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> DurableEvent for T {
    fn __lambda_handler_decode(input: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(input)
    }
}

/// Runs one durable invocation of `handler` on the envelope `invocation`.
#[doc(hidden)]
pub async fn run<Ev, R, F, Fut>(
    invocation: serde_json::Value,
    decode: fn(&str) -> Result<Ev, serde_json::Error>,
    outcome: fn(R) -> Outcome,
    handler: F,
) -> Result<DurableOutput, InvocationError>
where
    F: FnOnce(Ev, DurableContext) -> Fut,
    Fut: Future<Output = R>,
{
    let invocation: Invocation = serde_json::from_value(invocation).map_err(|error| {
        InvocationError::new(
            "Runtime.UnmarshalError",
            format!(
                "this is a durable function, and its event is not a durable invocation ({error}): \
                 deploy it with `DurableConfig` set, or invoke it locally through `--serve`, \
                 which runs durable executions itself"
            ),
        )
    })?;
    let execution = Execution::new(
        invocation.durable_execution_arn,
        invocation.checkpoint_token,
        invocation.initial_execution_state.operations,
    );
    if let Err(halt) = execution
        .fetch_pages(
            invocation
                .initial_execution_state
                .next_marker
                .filter(|m| !m.is_empty()),
        )
        .await
    {
        return answer_halt(halt);
    }
    let input = execution
        .execution_operation()
        .and_then(|op| op.execution_details)
        .and_then(|d| d.input_payload)
        .filter(|payload| !payload.trim().is_empty());
    let event: Ev = match decode(input.as_deref().unwrap_or("null")) {
        Ok(event) => event,
        Err(error) => {
            return Ok(failed(ErrorObject {
                error_type: Some("Runtime.UnmarshalError".to_owned()),
                error_message: Some(format!(
                    "the execution's input does not decode as `{}`: {error}",
                    std::any::type_name::<Ev>()
                )),
                ..ErrorObject::default()
            }));
        }
    };
    let context = DurableContext::root(execution.clone());
    let mut handler = pin!(handler(event, context));
    let ended = std::future::poll_fn(|cx| {
        if let Poll::Ready(returned) = handler.as_mut().poll(cx) {
            return Poll::Ready(Ok(returned));
        }
        match execution.stopped(cx.waker()) {
            Some(halt) => Poll::Ready(Err(halt)),
            None => Poll::Pending,
        }
    })
    .await;
    let returned = match ended {
        Ok(returned) => returned,
        Err(Some(halt)) => return answer_halt(halt),
        Err(None) => {
            return match execution.flush().await {
                Ok(()) => Ok(pending()),
                Err(halt) => answer_halt(halt),
            };
        }
    };
    // Updates queued without waiting (a child context's start) go before the answer.
    if let Err(halt) = execution.flush().await {
        return answer_halt(halt);
    }
    match outcome(returned) {
        Outcome::Unencodable(error) => Err(InvocationError::new("Runtime.MarshalError", error)),
        Outcome::Value(result) => {
            if result.len() <= RESPONSE_LIMIT {
                return Ok(DurableOutput {
                    status: InvocationStatus::Succeeded,
                    result: Some(result),
                    error: None,
                });
            }
            // Too large for the answer: the execution's own operation records it.
            let update = execution_update(&execution, Action::Succeed, Some(result), None);
            match execution.checkpoint(update, true).await {
                Ok(()) => Ok(DurableOutput {
                    status: InvocationStatus::Succeeded,
                    result: Some(String::new()),
                    error: None,
                }),
                Err(halt) => answer_halt(halt),
            }
        }
        Outcome::Failed(error) => Ok(failed(error)),
    }
}

fn execution_update(
    execution: &Execution,
    action: Action,
    payload: Option<String>,
    error: Option<ErrorObject>,
) -> OperationUpdate {
    let id = execution
        .execution_operation()
        .map(|op| op.id)
        .unwrap_or_default();
    OperationUpdate {
        id,
        parent_id: None,
        name: None,
        kind: OperationType::Execution,
        sub_type: None,
        action,
        payload,
        error,
        options: UpdateOptions::None,
    }
}

fn pending() -> DurableOutput {
    DurableOutput {
        status: InvocationStatus::Pending,
        result: None,
        error: None,
    }
}

fn failed(error: ErrorObject) -> DurableOutput {
    DurableOutput {
        status: InvocationStatus::Failed,
        result: None,
        error: Some(error),
    }
}

/// A halted invocation's answer: the execution fails, or the invocation does (and the
/// service tries it again).
fn answer_halt(halt: Halt) -> Result<DurableOutput, InvocationError> {
    match halt {
        Halt::Fail(error) => Ok(failed(error)),
        Halt::Retry(error) => Err(InvocationError::new(
            error
                .error_type
                .unwrap_or_else(|| "CheckpointError".to_owned()),
            error.error_message.unwrap_or_default(),
        )),
    }
}
