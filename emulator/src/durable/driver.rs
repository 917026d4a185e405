//! The invocations of one execution: invoke the function with the execution's state, read
//! its answer (`SUCCEEDED`, `FAILED`, `PENDING`), and between invocations wait for the next
//! reason to invoke it (a wait ended, a retried step is due, a callback completed) or for the
//! execution's timeout. A failed invocation (a crash, a timeout) is retried, as Lambda's
//! service retries it, and after too many in a row the execution fails with its error.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use hyper::body::Bytes;
use lambda_handler_protocol::durable::{
    EXECUTION_TIMED_OUT, INVOCATION_RETRY_SECONDS, MAX_FAILED_INVOCATIONS,
};
use lambda_handler_protocol::ids;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::execution::{ChainedInvoke, Outcome, Status};
use super::{Running, Service};
use crate::environment::Environment;
use crate::environment::outcome::{Invocation, Outcome as Ended};
use crate::race::first;
use crate::supervisor;

/// Runs the execution to its end.
pub(super) async fn drive(
    service: Arc<Service>,
    environment: Arc<Environment>,
    running: Arc<Running>,
) {
    let clock = &service.clock;
    loop {
        let (event, tenant_id) = {
            let mut execution = running.lock();
            if !execution.is_running() {
                break;
            }
            (execution.invocation_event(), execution.tenant_id.clone())
        };
        let started = clock.now();
        let payload = Bytes::from(event.to_string());
        let (request_id, ended) = invoke(&environment, payload, tenant_id).await;
        let now = clock.now();
        let retry_at = {
            let mut execution = running.lock();
            execution.end_invocation();
            let answer = read(ended);
            let error = match &answer {
                Answer::Crashed(error) => Some(error.clone()),
                _ => None,
            };
            execution.invocation_completed(started, now, &request_id, error);
            if !execution.is_running() {
                // Stopped or timed out while it ran: that stands.
                break;
            }
            let failed = match answer {
                Answer::Output(status, result, error) => match outcome(&status, result, error) {
                    Some(outcome) => {
                        execution.end(outcome, now);
                        None
                    }
                    None if status == "PENDING"
                        && (execution.has_pending_operations()
                            || execution.has_unseen_changes()) =>
                    {
                        execution.failed_invocations = 0;
                        None
                    }
                    None if status == "PENDING" => Some(invalid(
                        "Cannot return PENDING status with no pending operations.",
                    )),
                    None => {
                        let message = format!("Unexpected invocation status: {status}");
                        execution.end(Outcome::Failed(Some(invalid(&message))), now);
                        None
                    }
                },
                Answer::Invalid(message) => {
                    execution.end(Outcome::Failed(Some(invalid(&message))), now);
                    None
                }
                Answer::Crashed(error) => Some(error),
            };
            match failed {
                Some(error) => {
                    execution.failed_invocations += 1;
                    if execution.failed_invocations >= MAX_FAILED_INVOCATIONS {
                        execution.end(Outcome::Failed(Some(error)), now);
                        None
                    } else {
                        Some(now + Duration::from_secs(INVOCATION_RETRY_SECONDS))
                    }
                }
                None => None,
            }
        };
        if !between_invocations(&service, &running, retry_at).await {
            break;
        }
    }
    running.ended.send_replace(true);
    if let Some((parent, operation)) = &running.parent {
        // A chained invoke's execution ended: the invoke completes with its outcome.
        let (status, outcome) = {
            let execution = running.lock();
            let error = || execution.error.clone().unwrap_or_else(|| json!({}));
            match execution.status {
                Status::Succeeded => ("SUCCEEDED", Ok(execution.result.clone())),
                Status::TimedOut => ("TIMED_OUT", Err(error())),
                Status::Stopped => ("STOPPED", Err(error())),
                _ => ("FAILED", Err(error())),
            }
        };
        let now = clock.now();
        if parent
            .lock()
            .chained_invoke_ended(operation, status, outcome, now)
        {
            parent.changed.notify_one();
        }
    }
}

/// A chained invoke of a function that is not durable: one invocation, whose answer completes
/// the operation `operation` of `parent`.
pub(super) async fn invoke_function(
    service: Arc<Service>,
    environment: Arc<Environment>,
    chained: ChainedInvoke,
    parent: Arc<Running>,
) {
    let payload = Bytes::from(chained.payload.unwrap_or_else(|| "null".to_owned()));
    let operation = chained.operation;
    let (_, ended) = invoke(&environment, payload, chained.tenant_id).await;
    let (status, outcome) = match ended {
        Ended::Response(body) => (
            "SUCCEEDED",
            Ok(Some(String::from_utf8_lossy(&body).into_owned())),
        ),
        Ended::Error(body) => ("FAILED", Err(error_object(&body))),
        Ended::Streamed { .. } => (
            "FAILED",
            Err(invalid(
                "a chained invoke's target answers whole, not streamed",
            )),
        ),
    };
    let now = service.clock.now();
    if parent
        .lock()
        .chained_invoke_ended(&operation, status, outcome, now)
    {
        parent.changed.notify_one();
    }
}

/// Waits for the next reason to invoke the function: `true` to invoke it, `false` when the
/// execution has ended.
async fn between_invocations(
    service: &Service,
    running: &Running,
    retry_at: Option<SystemTime>,
) -> bool {
    let clock = &service.clock;
    loop {
        let (next, skippable) = {
            let mut execution = running.lock();
            let now = clock.now();
            if !execution.is_running() {
                return false;
            }
            let deadline = execution.started + execution.timeout;
            if now >= deadline {
                let seconds = execution.timeout.as_secs();
                let error = json!({
                    "ErrorType": EXECUTION_TIMED_OUT,
                    "ErrorMessage": format!("The execution timed out after {seconds} seconds"),
                });
                execution.halt(Status::TimedOut, error, now);
                return false;
            }
            execution.complete_finished_invokes(now);
            execution.fire_timers(now);
            match retry_at {
                Some(at) if at <= now => return true,
                None if execution.has_unseen_changes() => return true,
                _ => {}
            }
            // The earliest of: a timer, the invocation's retry, the execution's timeout
            // (which runs on the wall clock, as a callback's deadline does: only the waits
            // the service runs are skipped).
            let timer = execution.next_timer().map(|(at, callback)| (at, !callback));
            [
                Some((deadline, false)),
                timer,
                retry_at.map(|at| (at, true)),
            ]
            .into_iter()
            .flatten()
            .min_by_key(|(at, _)| *at)
            .unwrap_or((deadline, false))
        };
        let _ = first(
            clock.sleep_until(next, skippable),
            running.changed.notified(),
        )
        .await;
    }
}

/// Invokes the function with `payload`: the invocation's request id and how it ended.
async fn invoke(
    environment: &Arc<Environment>,
    payload: Bytes,
    tenant_id: Option<String>,
) -> (String, Ended) {
    let id = ids::request_id();
    let (reply, outcome) = oneshot::channel();
    environment.queue.enqueue(Invocation {
        id: id.clone(),
        payload,
        client_context: None,
        tenant_id,
        reply: Some(reply),
        wants_log: false,
    });
    supervisor::ensure_running(environment);
    let completed = environment.completed(&id, outcome).await;
    (id, completed.outcome)
}

/// A durable function's answer, as the service reads it.
enum Answer {
    /// `{"Status", "Result", "Error"}`.
    Output(String, Option<String>, Option<Value>),
    /// An answer that is not one.
    Invalid(String),
    /// The invocation failed (a crash, a timeout, an unhandled error): its error.
    Crashed(Value),
}

fn read(ended: Ended) -> Answer {
    let body = match ended {
        Ended::Response(body) => body,
        Ended::Error(body) => return Answer::Crashed(error_object(&body)),
        Ended::Streamed { .. } => {
            return Answer::Invalid("a durable function's answer is not streamed".into());
        }
    };
    let Ok(Value::Object(mut output)) = serde_json::from_slice::<Value>(&body) else {
        return Answer::Invalid(
            "the answer is not a durable function's output ({\"Status\", \"Result\", \"Error\"})"
                .into(),
        );
    };
    let Some(Value::String(status)) = output.remove("Status") else {
        return Answer::Invalid("Response status is required".into());
    };
    let result = match output.remove("Result") {
        Some(Value::String(result)) => Some(result),
        _ => None,
    };
    let error = output.remove("Error").filter(|e| !e.is_null());
    Answer::Output(status, result, error)
}

fn outcome(status: &str, result: Option<String>, error: Option<Value>) -> Option<Outcome> {
    match status {
        "SUCCEEDED" => Some(Outcome::Succeeded(result)),
        "FAILED" => Some(Outcome::Failed(error)),
        _ => None,
    }
}

fn invalid(message: &str) -> Value {
    json!({ "ErrorType": "InvalidParameterValueException", "ErrorMessage": message })
}

/// Lambda's error JSON (`{"errorMessage", "errorType", "stackTrace"}`) as an `ErrorObject`.
fn error_object(body: &[u8]) -> Value {
    let error: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut object = serde_json::Map::new();
    for (from, to) in [
        ("errorType", "ErrorType"),
        ("errorMessage", "ErrorMessage"),
        ("stackTrace", "StackTrace"),
    ] {
        if let Some(value) = error.get(from).filter(|v| !v.is_null()) {
            object.insert(to.into(), value.clone());
        }
    }
    Value::Object(object)
}

/// An execution's error as `Invoke` answers a failed synchronous invocation: Lambda's error
/// JSON.
pub(super) fn lambda_error(error: Option<&Value>) -> Vec<u8> {
    let field = |key: &str| error.and_then(|e| e.get(key)).cloned();
    let mut body = serde_json::Map::new();
    body.insert(
        "errorType".into(),
        field("ErrorType").unwrap_or_else(|| json!("Error")),
    );
    body.insert(
        "errorMessage".into(),
        field("ErrorMessage").unwrap_or_else(|| json!("")),
    );
    if let Some(trace) = field("StackTrace") {
        body.insert("stackTrace".into(), trace);
    }
    Value::Object(body).to_string().into_bytes()
}
