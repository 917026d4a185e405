//! Lambda's Invoke API, `POST /2015-03-31/functions/{name}/invocations`, with its invocation
//! types, payload limits, status codes and error shapes.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::oneshot;

use crate::http::{Reply, aws_error, json};
use crate::state::{Invocation, Outcome, Shared};
use crate::{ids, supervisor};

/// Lambda's limit on a synchronous invocation's payload.
const MAX_SYNC_PAYLOAD: usize = 6_291_456;
/// Lambda's limit on an asynchronous (`Event`) invocation's payload.
const MAX_ASYNC_PAYLOAD: usize = 1_048_576;
/// Lambda's limit on initialization, after which a cold start counts as timed out.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, PartialEq, Eq)]
enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

pub(crate) async fn route(request: Request<Incoming>, shared: Arc<Shared>) -> Reply {
    let path = request.uri().path().to_owned();
    let name = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|rest| rest.strip_suffix("/invocations"));
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
        .get("x-amz-invocation-type")
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
    let client_context = request
        .headers()
        .get("x-amz-client-context")
        .and_then(|v| decode_base64(v.as_bytes()))
        .and_then(|json| String::from_utf8(json).ok());
    let tenant_id = request
        .headers()
        .get("x-amz-tenant-id")
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
            let mut reply = Response::new(Full::new(Bytes::new()));
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
            });
            supervisor::ensure_running(&shared);
            let outcome = wait(&shared, &id, outcome).await;
            with_request_id(respond(outcome), &id)
        }
    }
}

/// The invocation's outcome. The deadline of an invocation in flight is watched by the state;
/// this bounds only the wait for a runtime to take it.
async fn wait(shared: &Shared, id: &str, mut outcome: oneshot::Receiver<Outcome>) -> Outcome {
    let pickup = INIT_TIMEOUT + shared.options.timeout;
    match tokio::time::timeout(pickup, &mut outcome).await {
        Ok(Ok(outcome)) => return outcome,
        Ok(Err(_)) => return Outcome::error("Runtime.Unknown", "the invocation was dropped"),
        Err(_) if shared.withdraw(id) => {
            let seconds = pickup.as_secs_f64();
            let message = format!(
                "RequestId: {id} Error: Task timed out after {seconds:.2} seconds (the runtime never took the invocation)"
            );
            return Outcome::error("Sandbox.Timedout", &message);
        }
        Err(_) => {}
    }
    outcome
        .await
        .unwrap_or_else(|_| Outcome::error("Runtime.Unknown", "the invocation was dropped"))
}

fn respond(outcome: Outcome) -> Reply {
    match outcome {
        Outcome::Response(body) => {
            let mut reply = json(StatusCode::OK, body);
            reply.headers_mut().insert(
                "x-amz-executed-version",
                HeaderValue::from_static("$LATEST"),
            );
            reply
        }
        Outcome::Error(body) => {
            let mut reply = json(StatusCode::OK, body);
            reply.headers_mut().insert(
                "x-amz-function-error",
                HeaderValue::from_static("Unhandled"),
            );
            reply.headers_mut().insert(
                "x-amz-executed-version",
                HeaderValue::from_static("$LATEST"),
            );
            reply
        }
    }
}

fn with_request_id(mut reply: Reply, id: &str) -> Reply {
    if let Ok(id) = HeaderValue::from_str(id) {
        reply.headers_mut().insert("x-amzn-requestid", id);
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

/// Standard base64, as AWS SDKs encode `X-Amz-Client-Context`.
fn decode_base64(input: &[u8]) -> Option<Vec<u8>> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let input: Vec<u8> = input.iter().copied().filter(|&c| c != b'=').collect();
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    for chunk in input.chunks(4) {
        let mut bits = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            bits |= u32::from(value(c)?) << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{decode_base64, names_this_function};

    #[test]
    fn base64_decodes() {
        assert_eq!(decode_base64(b"eyJhIjoxfQ==").unwrap(), br#"{"a":1}"#);
        assert_eq!(decode_base64(b"YWI=").unwrap(), b"ab");
        assert_eq!(decode_base64(b"YWJj").unwrap(), b"abc");
        assert!(decode_base64(b"a!b=").is_none());
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
