//! Lambda's Invoke API, `POST /2015-03-31/functions/{name}/invocations`, with its invocation
//! types, payload limits, status codes and error shapes; and `InvokeWithResponseStream`,
//! `POST /2021-11-15/functions/{name}/response-streaming-invocations`, whose reply is the
//! response as an event stream, each chunk as the function streams it.

use std::sync::Arc;

use base64::Engine;
use http_body_util::{BodyExt, Either, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use lambda_handler_protocol::error_types::{RUNTIME_UNKNOWN, SANDBOX_TIMEDOUT};
use lambda_handler_protocol::headers;
use lambda_handler_protocol::ids;
use lambda_handler_protocol::limits::{INIT_TIMEOUT, MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD};
use lambda_handler_protocol::paths::{INVOKE_PREFIX, INVOKE_SUFFIX, STREAM_PREFIX, STREAM_SUFFIX};
use tokio::sync::{mpsc, oneshot};

use crate::eventstream::{self, Complete};
use crate::http::{Frames, Reply, aws_error, full, json};
use crate::state::{Completed, Invocation, Outcome, Shared, StreamEvent};
use crate::supervisor;

#[derive(Clone, Copy, PartialEq, Eq)]
enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

/// The two operations that invoke a function.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    Invoke,
    InvokeWithResponseStream,
}

pub(crate) async fn route(request: Request<Incoming>, shared: Arc<Shared>) -> Reply {
    let path = request.uri().path().to_owned();
    let name = |prefix: &str, suffix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
    };
    let (name, operation) = match (
        name(INVOKE_PREFIX, INVOKE_SUFFIX),
        name(STREAM_PREFIX, STREAM_SUFFIX),
    ) {
        (Some(name), _) => (Some(name), Operation::Invoke),
        (_, Some(name)) => (Some(name), Operation::InvokeWithResponseStream),
        _ => (None, Operation::Invoke),
    };
    let Some(name) = name else {
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            &format!("no such resource: {path}"),
        );
    };
    if !names_this_function(name, &shared.options.function_name) {
        let message = format!(
            "Function not found: {name} (this emulator serves `function` and `{}`)",
            shared.options.function_name
        );
        return aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message);
    }
    if request.method() != Method::POST {
        return aws_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowedException",
            "invoke with POST",
        );
    }
    let kind = match request
        .headers()
        .get(headers::INVOCATION_TYPE)
        .map(HeaderValue::to_str)
    {
        None | Some(Ok("RequestResponse")) => InvocationType::RequestResponse,
        Some(Ok("Event")) => InvocationType::Event,
        Some(Ok("DryRun")) => InvocationType::DryRun,
        Some(other) => {
            let message = format!(
                "invalid X-Amz-Invocation-Type {other:?}: RequestResponse, Event or DryRun"
            );
            return aws_error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                &message,
            );
        }
    };
    // A streamed response has a caller waiting for it: `Event` is not one of its types.
    if operation == Operation::InvokeWithResponseStream && kind == InvocationType::Event {
        let message = "invalid X-Amz-Invocation-Type \"Event\" for \
                       InvokeWithResponseStream: RequestResponse or DryRun";
        return aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            message,
        );
    }
    let client_context = match client_context(request.headers()) {
        Ok(client_context) => client_context,
        // Lambda's answer to a client context that is not base64 of a JSON object.
        Err(()) => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                "Client context must be a valid Base64-encoded JSON object.",
            );
        }
    };
    // `X-Amz-Log-Type: Tail`: the last 4 KB of the invocation's log comes back, base64, in
    // `X-Amz-Log-Result` (boto3's `LogType="Tail"`, `aws lambda invoke --log-type Tail`).
    let wants_log = request
        .headers()
        .get(headers::LOG_TYPE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Tail"));
    let tenant_id = request
        .headers()
        .get(headers::TENANT_ID_REQUEST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let limit = if kind == InvocationType::Event {
        MAX_ASYNC_PAYLOAD
    } else {
        MAX_SYNC_PAYLOAD
    };
    let payload = match Limited::new(request.into_body(), limit).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            let message = format!(
                "Request must be smaller than {limit} bytes for the InvokeFunction operation"
            );
            return aws_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &message,
            );
        }
    };
    // Lambda invokes with `{}` when the caller sends no payload, and refuses one that is not JSON.
    let payload = if payload.is_empty() {
        Bytes::from_static(b"{}")
    } else {
        payload
    };
    if serde_json::from_slice::<serde_json::Value>(&payload).is_err() {
        return aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "Could not parse request body into json",
        );
    }
    let id = ids::request_id();
    match kind {
        InvocationType::DryRun => {
            let mut reply = Response::new(full(Bytes::new()));
            *reply.status_mut() = StatusCode::NO_CONTENT;
            reply
        }
        InvocationType::Event => {
            shared.enqueue(Invocation {
                id: id.clone(),
                payload,
                client_context,
                tenant_id,
                reply: None,
                wants_log: false,
            });
            supervisor::ensure_running(&shared);
            with_request_id(json(StatusCode::ACCEPTED, Bytes::new()), &id)
        }
        InvocationType::RequestResponse => {
            let (reply, outcome) = oneshot::channel();
            shared.enqueue(Invocation {
                id: id.clone(),
                payload,
                client_context,
                tenant_id,
                reply: Some(reply),
                wants_log,
            });
            supervisor::ensure_running(&shared);
            if operation == Operation::InvokeWithResponseStream {
                return with_request_id(stream_reply(shared, id.clone(), outcome), &id);
            }
            let completed = wait(&shared, &id, outcome).await;
            let (mut reply, streamed_log) = respond(completed.outcome).await;
            if let Some(log) = completed.log.or(streamed_log) {
                let log = base64::engine::general_purpose::STANDARD.encode(log);
                if let Ok(log) = HeaderValue::from_str(&log) {
                    reply.headers_mut().insert(headers::LOG_RESULT, log);
                }
            }
            with_request_id(reply, &id)
        }
    }
}

/// The invocation's outcome. The deadline of an invocation in flight is watched by the state;
/// this bounds only the wait for a runtime to take it.
async fn wait(shared: &Shared, id: &str, mut outcome: oneshot::Receiver<Completed>) -> Completed {
    let dropped = || Completed {
        outcome: Outcome::error(RUNTIME_UNKNOWN, "the invocation was dropped"),
        log: None,
    };
    let pickup = INIT_TIMEOUT.saturating_add(shared.options.timeout);
    match tokio::time::timeout(pickup, &mut outcome).await {
        Ok(Ok(completed)) => return completed,
        Ok(Err(_)) => return dropped(),
        Err(_) if shared.withdraw(id) => {
            let seconds = pickup.as_secs_f64();
            let message = format!(
                "RequestId: {id} Error: Task timed out after {seconds:.2} seconds (the runtime never took the invocation)"
            );
            return Completed {
                outcome: Outcome::error(SANDBOX_TIMEDOUT, &message),
                log: None,
            };
        }
        Err(_) => {}
    }
    outcome.await.unwrap_or_else(|_| dropped())
}

/// `InvokeWithResponseStream`'s reply: 200 at once, then the response as an event stream, a
/// `PayloadChunk` per chunk as the function streams it (a buffered response is one chunk),
/// and `InvokeComplete` with the error, if any, and the log's tail when asked for.
fn stream_reply(shared: Arc<Shared>, id: String, outcome: oneshot::Receiver<Completed>) -> Reply {
    let (frames, body) = mpsc::channel(STREAM_FRAMES);
    tokio::spawn(async move {
        let completed = wait(&shared, &id, outcome).await;
        let mut complete = Complete {
            log_result: completed
                .log
                .map(|log| base64::engine::general_purpose::STANDARD.encode(log)),
            ..Complete::default()
        };
        match completed.outcome {
            Outcome::Response(body) => {
                if !body.is_empty() {
                    let _ = frames.send(eventstream::payload_chunk(&body)).await;
                }
            }
            Outcome::Error(body) => failed(&mut complete, &body),
            Outcome::Streamed(mut chunks) => {
                while let Some(event) = chunks.recv().await {
                    match event {
                        StreamEvent::Chunk(chunk) => {
                            let chunk = eventstream::payload_chunk(&chunk);
                            if frames.send(chunk).await.is_err() {
                                // The caller went away; the runtime's stream is read and
                                // dropped as it comes.
                                return;
                            }
                        }
                        StreamEvent::End { error, log } => {
                            if let Some(error) = error {
                                complete.error_code = Some(error.error_type);
                                complete.error_details =
                                    Some(String::from_utf8_lossy(&error.body).into_owned());
                            }
                            complete.log_result = log
                                .map(|log| base64::engine::general_purpose::STANDARD.encode(log));
                            break;
                        }
                    }
                }
            }
        }
        let _ = frames.send(eventstream::invoke_complete(&complete)).await;
    });
    let mut reply = Response::new(Either::Right(Frames(body)));
    let fields = reply.headers_mut();
    fields.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(headers::EVENT_STREAM),
    );
    fields.insert(
        headers::EXECUTED_VERSION,
        HeaderValue::from_static("$LATEST"),
    );
    reply
}

/// How many event-stream frames wait for a slow caller before the function's stream waits.
const STREAM_FRAMES: usize = 4;

/// An error before or instead of a response: its type (from its JSON) and the JSON.
fn failed(complete: &mut Complete, body: &[u8]) {
    let error_type = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|json| json.get("errorType")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| RUNTIME_UNKNOWN.to_owned());
    complete.error_code = Some(error_type);
    complete.error_details = Some(String::from_utf8_lossy(body).into_owned());
}

/// `Invoke`'s reply. A streamed response is gathered whole first, as Lambda gives it to a
/// caller that did not ask for a stream; its log tail comes at its end.
async fn respond(outcome: Outcome) -> (Reply, Option<Vec<u8>>) {
    let mut streamed_log = None;
    let outcome = match outcome {
        Outcome::Streamed(mut chunks) => {
            let mut whole = Vec::new();
            let mut failure = None;
            while let Some(event) = chunks.recv().await {
                match event {
                    StreamEvent::Chunk(chunk) => whole.extend_from_slice(&chunk),
                    StreamEvent::End { error, log } => {
                        (failure, streamed_log) = (error, log);
                        break;
                    }
                }
            }
            match failure {
                Some(error) => Outcome::Error(error.body),
                None => Outcome::Response(Bytes::from(whole)),
            }
        }
        other => other,
    };
    (reply_to(outcome), streamed_log)
}

fn reply_to(outcome: Outcome) -> Reply {
    match outcome {
        Outcome::Response(body) => {
            let mut reply = json(StatusCode::OK, body);
            reply.headers_mut().insert(
                headers::EXECUTED_VERSION,
                HeaderValue::from_static("$LATEST"),
            );
            reply
        }
        Outcome::Error(body) => {
            let mut reply = json(StatusCode::OK, body);
            reply.headers_mut().insert(
                headers::FUNCTION_ERROR,
                HeaderValue::from_static("Unhandled"),
            );
            reply.headers_mut().insert(
                headers::EXECUTED_VERSION,
                HeaderValue::from_static("$LATEST"),
            );
            reply
        }
        Outcome::Streamed(_) => unreachable!("gathered above"),
    }
}

fn with_request_id(mut reply: Reply, id: &str) -> Reply {
    if let Ok(id) = HeaderValue::from_str(id) {
        reply.headers_mut().insert(headers::AMZN_REQUEST_ID, id);
    }
    reply
}

/// `function` (as RIE accepts), the function's name, or an ARN or partial ARN naming it,
/// with or without a qualifier.
fn names_this_function(name: &str, function_name: &str) -> bool {
    let name = name.replace("%3A", ":").replace("%3a", ":");
    let unqualified = match name.split(':').collect::<Vec<_>>()[..] {
        [.., "function", function, _] | [.., "function", function] => function.to_owned(),
        [function, _] => function.to_owned(),
        _ => name.clone(),
    };
    unqualified == "function" || unqualified == function_name
}

/// The caller's client context: `X-Amz-Client-Context` is standard base64 of a JSON object
/// (AWS SDKs encode it so); anything else is refused, as Lambda refuses it.
fn client_context(fields: &HeaderMap) -> Result<Option<String>, ()> {
    let Some(value) = fields.get(headers::CLIENT_CONTEXT_B64) else {
        return Ok(None);
    };
    let json = base64::engine::general_purpose::STANDARD
        .decode(value.as_bytes())
        .map_err(|_| ())?;
    let json = String::from_utf8(json).map_err(|_| ())?;
    match serde_json::from_str::<serde_json::Value>(&json) {
        Ok(serde_json::Value::Object(_)) => Ok(Some(json)),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::{client_context, names_this_function};
    use hyper::header::{HeaderMap, HeaderValue};
    use lambda_handler_protocol::headers;

    fn decoded(value: &'static str) -> Result<Option<String>, ()> {
        let mut fields = HeaderMap::new();
        fields.insert(headers::CLIENT_CONTEXT_B64, HeaderValue::from_static(value));
        client_context(&fields)
    }

    #[test]
    fn client_contexts_are_base64_of_a_json_object() {
        assert_eq!(decoded("eyJhIjoxfQ=="), Ok(Some(r#"{"a":1}"#.to_owned())));
        assert_eq!(client_context(&HeaderMap::new()), Ok(None));
        // Not base64 (a stray `!`, a truncated quantum, misplaced padding), not UTF-8, or not
        // a JSON object.
        for bad in [
            "a!b=",
            "eyJhIjoxfQ=",
            "e=yJhIjoxfQ=",
            "/w==",
            "WzFd",
            "YWJj",
        ] {
            assert_eq!(decoded(bad), Err(()), "{bad}");
        }
    }

    #[test]
    fn the_function_is_named_as_lambda_accepts() {
        for name in [
            "function",
            "hello",
            "hello:$LATEST",
            "arn:aws:lambda:us-east-1:1:function:hello",
            "arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Ahello%3Aprod",
        ] {
            assert!(names_this_function(name, "hello"), "{name}");
        }
        assert!(!names_this_function("other", "hello"));
    }
}
