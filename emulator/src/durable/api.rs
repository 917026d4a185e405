//! The durable-execution API's routes on the Invoke API's port, as the Lambda API serves them.
//! Paths, methods, and each operation's errors with their status codes are the API model's
//! (botocore's `lambda/2015-03-31/service-2.json`: `InvalidParameterValueException` 400,
//! `ResourceNotFoundException` 404, `CallbackTimeoutException` 400, listed for
//! `SendDurableExecutionCallbackHeartbeat` only); which one a case gets is as AWS's
//! `dex-local-runner` answers it (`executor.py`: a callback no longer waiting is not found).

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use lambda_handler_protocol::durable::{
    CALLBACK_FAIL, CALLBACK_HEARTBEAT, CALLBACK_SUCCEED, CALLBACKS_PREFIX, CHECKPOINT,
    EXECUTIONS_PREFIX, FUNCTION_EXECUTIONS_PREFIX, FUNCTION_EXECUTIONS_SUFFIX, FUNCTION_NOT_FOUND,
    HISTORY, STATE, STOP,
};
use lambda_handler_protocol::limits::MAX_SYNC_PAYLOAD;
use serde_json::{Value, json};

use super::execution::{ChainedInvoke, Effects, Invalid, Status};
use super::{Running, Service};
use crate::environment::Environment;
use crate::http::{Reply, aws_error, json as json_reply, percent_decode};

/// Whether `path` is one of the durable-execution API's.
pub(crate) fn is_durable_api(path: &str) -> bool {
    path.starts_with(EXECUTIONS_PREFIX)
        || path.starts_with(CALLBACKS_PREFIX)
        || executions_of(path).is_some()
}

/// The function `ListDurableExecutionsByFunction`'s path names, percent-decoded.
pub(crate) fn executions_of(path: &str) -> Option<String> {
    path.strip_prefix(FUNCTION_EXECUTIONS_PREFIX)?
        .strip_suffix(FUNCTION_EXECUTIONS_SUFFIX)
        .map(percent_decode)
}

/// Serves one request of the durable-execution API. `targets` finds the function a chained
/// invoke names.
pub(crate) async fn route<F, Fut>(
    request: Request<Incoming>,
    service: &Arc<Service>,
    targets: F,
) -> Reply
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Option<Arc<Environment>>>,
{
    if let Some(function) = executions_of(request.uri().path()) {
        let query = request.uri().query().unwrap_or_default().to_owned();
        return match targets(function.clone()).await {
            Some(environment) if request.method() == Method::GET => {
                let arn = crate::environment::function_arn(&environment.options.function_name);
                ok(list(service, &arn, &query))
            }
            Some(_) => not_found(request.uri().path()),
            None => {
                let message = format!("Function not found: {function}");
                aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message)
            }
        };
    }
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let method = request.method().clone();
    let body = match Limited::new(request.into_body(), MAX_SYNC_PAYLOAD)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(e) => return invalid(&format!("cannot read the request: {e}")),
    };
    if let Some(rest) = path.strip_prefix(CALLBACKS_PREFIX) {
        if method != Method::POST {
            return not_found(&path);
        }
        return callback(service, rest, &body);
    }
    let rest = path.strip_prefix(EXECUTIONS_PREFIX).unwrap_or_default();
    let (arn, operation) = split_suffix(rest, &[CHECKPOINT, STATE, HISTORY, STOP]);
    let arn = percent_decode(arn);
    let Some(running) = service.find(&arn) else {
        let message = format!("Execution not found: {arn}");
        return aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message);
    };
    let now = service.clock.now();
    match (method, operation) {
        (Method::GET, "") => ok(describe(&running)),
        (Method::GET, HISTORY) => ok(history(&running, &query)),
        (Method::GET, STATE) => {
            let token = query_value(&query, "CheckpointToken").unwrap_or_default();
            answer(running.lock().state(&token))
        }
        (Method::POST, CHECKPOINT) => {
            let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let token = request["CheckpointToken"].as_str().unwrap_or_default();
            let updates = request["Updates"].as_array().cloned().unwrap_or_default();
            let mut effects = Effects::default();
            let checkpointed = running
                .lock()
                .checkpoint(token, &updates, now, &mut effects);
            {
                let mut executions = service.executions();
                for (callback_id, operation_id) in effects.callbacks {
                    executions
                        .callbacks
                        .insert(callback_id, (Arc::clone(&running), operation_id));
                }
            }
            for invoke in effects.invokes {
                let target = targets(invoke.function.clone()).await;
                chained_invoke(service, &running, invoke, target);
            }
            answer(checkpointed)
        }
        (Method::POST, STOP) => {
            let error = serde_json::from_slice::<Value>(&body)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({ "ErrorMessage": "The execution was stopped" }));
            let mut execution = running.lock();
            if !execution.is_running() {
                return invalid("the execution has already ended");
            }
            execution.halt(Status::Stopped, error, now);
            drop(execution);
            running.changed.notify_one();
            running.ended.send_replace(true);
            ok(json!({ "StopTimestamp": super::clock::timestamp(now) }))
        }
        _ => not_found(&path),
    }
}

/// Starts a chained invoke: an execution of a durable target, an invocation of any other;
/// one of a function the emulator does not serve fails as Lambda's does for a function that
/// does not exist.
fn chained_invoke(
    service: &Arc<Service>,
    running: &Arc<Running>,
    invoke: ChainedInvoke,
    target: Option<Arc<Environment>>,
) {
    match target {
        None => {
            let error = json!({
                "ErrorType": FUNCTION_NOT_FOUND,
                "ErrorMessage": format!("Function not found: {}", invoke.function),
            });
            let now = service.clock.now();
            let mut execution = running.lock();
            execution.chained_invoke_started(&invoke.operation, None);
            execution.chained_invoke_ended(&invoke.operation, "FAILED", Err(error), now);
        }
        Some(target) if target.options.durable.is_some() => {
            let payload = invoke.payload.as_deref().unwrap_or("null");
            let start = super::Start {
                input: payload.as_bytes(),
                name: None,
                tenant_id: invoke.tenant_id.clone(),
                parent: Some((Arc::clone(running), invoke.operation.clone())),
            };
            let child = super::start(service, &target, start);
            running
                .lock()
                .chained_invoke_started(&invoke.operation, Some(&child.arn));
        }
        Some(target) => {
            running
                .lock()
                .chained_invoke_started(&invoke.operation, None);
            tokio::spawn(super::driver::invoke_function(
                Arc::clone(service),
                target,
                invoke,
                Arc::clone(running),
            ));
        }
    }
}

/// `SendDurableExecutionCallback{Success,Failure,Heartbeat}`.
fn callback(service: &Service, rest: &str, body: &[u8]) -> Reply {
    let (id, action) = split_suffix(rest, &[CALLBACK_SUCCEED, CALLBACK_FAIL, CALLBACK_HEARTBEAT]);
    let id = percent_decode(id);
    let found = service.executions().callbacks.get(&id).cloned();
    let Some((running, operation)) = found else {
        let message = format!("Callback not found: {id}");
        return aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message);
    };
    let now = service.clock.now();
    let mut execution = running.lock();
    let done = match action {
        CALLBACK_SUCCEED => {
            let result = (!body.is_empty()).then(|| String::from_utf8_lossy(body).into_owned());
            execution.complete_callback(&operation, "SUCCEEDED", Ok(result), now)
        }
        CALLBACK_FAIL => {
            let error = serde_json::from_slice::<Value>(body)
                .ok()
                .filter(Value::is_object)
                .unwrap_or_else(|| json!({}));
            execution.complete_callback(&operation, "FAILED", Err(error), now)
        }
        CALLBACK_HEARTBEAT => execution.heartbeat(&operation, now),
        _ => return not_found(rest),
    };
    drop(execution);
    if !done && action == CALLBACK_HEARTBEAT {
        // The model's error for a heartbeat to a closed callback: "The callback ID token has
        // either expired or the callback associated with the token has already been closed."
        let message = format!("Callback {id} has already been closed");
        return aws_error(
            StatusCode::BAD_REQUEST,
            "CallbackTimeoutException",
            &message,
        );
    }
    if !done {
        // As `dex-local-runner` answers a callback that is no longer waiting.
        let message = format!("Callback {id} is not waiting: it completed or timed out");
        return aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message);
    }
    running.changed.notify_one();
    ok(json!({}))
}

/// `GetDurableExecution`.
fn describe(running: &Running) -> Value {
    let execution = running.lock();
    let function_arn = execution
        .arn
        .split(":$LATEST/")
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut answer = json!({
        "DurableExecutionArn": execution.arn,
        "DurableExecutionName": execution.name,
        "FunctionArn": function_arn,
        "Status": execution.status.as_str(),
        "StartTimestamp": super::clock::timestamp(execution.started),
        "InputPayload": execution.input,
        "Version": "$LATEST",
    });
    if let Some(ended) = execution.ended {
        answer["EndTimestamp"] = super::clock::timestamp(ended);
    }
    if let Some(result) = &execution.result {
        answer["Result"] = json!(result);
    }
    if let Some(error) = &execution.error {
        answer["Error"] = error.clone();
    }
    answer
}

/// `ListDurableExecutionsByFunction`: the function's executions, oldest first (newest with
/// `ReverseOrder`), filtered by `Statuses` and `DurableExecutionName`, `MaxItems` (50 by
/// default) from `Marker`.
fn list(service: &Service, function_arn: &str, query: &str) -> Value {
    let statuses = query_values(query, "Statuses");
    let name = query_value(query, "DurableExecutionName");
    let prefix = format!("{function_arn}:");
    let mut found: Vec<(SystemTime, Value)> = service
        .executions()
        .by_arn
        .values()
        .map(|running| {
            let execution = running.lock();
            let mut summary = json!({
                "DurableExecutionArn": execution.arn,
                "DurableExecutionName": execution.name,
                "FunctionArn": function_arn,
                "Status": execution.status.as_str(),
                "StartTimestamp": super::clock::timestamp(execution.started),
            });
            if let Some(ended) = execution.ended {
                summary["EndTimestamp"] = super::clock::timestamp(ended);
            }
            (execution.started, summary)
        })
        .filter(|(_, summary)| {
            let of = |key: &str| summary[key].as_str().unwrap_or_default().to_owned();
            of("DurableExecutionArn").starts_with(&prefix)
                && (statuses.is_empty() || statuses.contains(&of("Status")))
                && name
                    .as_ref()
                    .is_none_or(|name| *name == of("DurableExecutionName"))
        })
        .collect();
    found.sort_by_key(|(started, _)| *started);
    let found = found.into_iter().map(|(_, summary)| summary).collect();
    paged("DurableExecutions", found, query, 50)
}

/// One page of `items` under `key`, as the API's list operations answer: newest first with
/// `ReverseOrder`, `MaxItems` items (`default` when not given) from `Marker` (a position),
/// and `NextMarker` when more follow.
fn paged(key: &str, mut items: Vec<Value>, query: &str, default: usize) -> Value {
    if query_value(query, "ReverseOrder").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        items.reverse();
    }
    let start = query_value(query, "Marker")
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(0);
    let max = query_value(query, "MaxItems")
        .and_then(|m| m.parse::<usize>().ok())
        .filter(|m| *m > 0)
        .unwrap_or(default);
    let end = start.saturating_add(max).min(items.len());
    let mut answer = json!({ key: items.get(start..end).unwrap_or_default() });
    if end < items.len() {
        answer["NextMarker"] = json!(end.to_string());
    }
    answer
}

/// `GetDurableExecutionHistory`: the events, oldest first, 100 to a page by default; their
/// payloads only with `IncludeExecutionData`.
fn history(running: &Running, query: &str) -> Value {
    let include_data =
        query_value(query, "IncludeExecutionData").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let events = running.lock().history(include_data);
    paged("Events", events, query, 100)
}

fn answer(result: Result<Value, Invalid>) -> Reply {
    match result {
        Ok(value) => ok(value),
        Err(Invalid(message)) => invalid(&message),
    }
}

fn ok(value: Value) -> Reply {
    json_reply(StatusCode::OK, value.to_string())
}

fn invalid(message: &str) -> Reply {
    aws_error(
        StatusCode::BAD_REQUEST,
        "InvalidParameterValueException",
        message,
    )
}

fn not_found(path: &str) -> Reply {
    let message = format!("no such resource: {path}");
    aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message)
}

/// `rest` without whichever of `suffixes` it ends with, and that suffix (`""` for none).
fn split_suffix<'a>(rest: &'a str, suffixes: &[&'static str]) -> (&'a str, &'static str) {
    suffixes
        .iter()
        .find_map(|suffix| rest.strip_suffix(suffix).map(|head| (head, *suffix)))
        .unwrap_or((rest, ""))
}

/// The value of `key` in a query string, percent-decoded.
fn query_value(query: &str, key: &str) -> Option<String> {
    query_values(query, key).into_iter().next()
}

/// Every value of `key` in a query string (a list is the key repeated), percent-decoded.
fn query_values(query: &str, key: &str) -> Vec<String> {
    query
        .split('&')
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name) == key).then(|| percent_decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_queries_are_percent_decoded() {
        assert_eq!(
            percent_decode("arn%3Aaws%3Alambda%2Fx%2"),
            "arn:aws:lambda/x%2"
        );
        assert_eq!(
            query_value("MaxItems=5&CheckpointToken=a%3D%3D", "CheckpointToken").as_deref(),
            Some("a==")
        );
        assert_eq!(query_value("A=1", "B"), None);
    }

    #[test]
    fn a_suffix_is_split_from_the_arn() {
        let arn = "arn:aws:lambda:us-east-1:1:function:f:$LATEST/durable-execution/n/i";
        let path = format!("{arn}/checkpoint");
        assert_eq!(split_suffix(&path, &[CHECKPOINT, STATE]), (arn, CHECKPOINT));
        assert_eq!(split_suffix(arn, &[CHECKPOINT, STATE]), (arn, ""));
    }
}
