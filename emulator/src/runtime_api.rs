//! The Runtime API the child runtime talks to, answering as Lambda does (the protocol crate's
//! `rapid` model): `/next` waits for an invocation and carries every `Lambda-Runtime-*`
//! header and `Content-Type`; an answer is taken once (202), a second one is refused (403
//! `InvalidStateTransition`), one for another id too (400 `InvalidRequestID`), and a response
//! over the limit closes the invocation with 413, one in a response mode rapid does not know
//! with 400; `/init/error` fails the invocation whose cold start it was.

use std::sync::Arc;

use base64::Engine;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use lambda_handler_protocol::error_types::{
    RESPONSE_SIZE_TOO_LARGE, RUNTIME_UNKNOWN, SANDBOX_TIMEDOUT, response_size_too_large_message,
};
use lambda_handler_protocol::limits::{MAX_RESPONSE, MAX_STREAMED_RESPONSE};
use lambda_handler_protocol::paths::{self, Answer, RUNTIME_API};
use lambda_handler_protocol::rapid::{Reply as RapidReply, ResponseMode};
use lambda_handler_protocol::{headers, ids};

use crate::http::{Reply, full, json};
use crate::state::{Outcome, Shared, StreamError, StreamEvent, epoch_ms};

pub(crate) async fn route(request: Request<Incoming>, shared: Arc<Shared>) -> Reply {
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(RUNTIME_API) else {
        return not_found();
    };
    match (request.method(), rest) {
        (&Method::GET, paths::NEXT) => next(&shared).await,
        (&Method::POST, paths::INIT_ERROR) => init_error(request, &shared).await,
        (&Method::POST, rest) => match paths::parse_answer(rest) {
            Some((id, answer)) => {
                let id = id.to_owned();
                self::answer(request, &shared, &id, answer).await
            }
            None => not_found(),
        },
        _ => not_found(),
    }
}

async fn next(shared: &Arc<Shared>) -> Reply {
    shared.mark_initialized();
    let handed_out = shared.next().await;
    let (invocation, deadline) = (handed_out.invocation, handed_out.deadline);
    let function = &shared.options.function_name;
    let mut reply = Response::new(full(invocation.payload));
    let fields = reply.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            fields.insert(HeaderName::from_static(name), value);
        }
    };
    set("content-type", "application/json".to_owned());
    set(headers::REQUEST_ID, invocation.id);
    set(headers::INVOCATION_ID, handed_out.invocation_id);
    set(headers::DEADLINE_MS, epoch_ms(deadline).to_string());
    set(
        headers::FUNCTION_ARN,
        format!("arn:aws:lambda:us-east-1:012345678912:function:{function}"),
    );
    set(headers::TRACE_ID, ids::trace_id());
    if let Some(tenant_id) = invocation.tenant_id {
        set(headers::TENANT_ID, tenant_id);
    }
    if let Some(client_context) = invocation.client_context {
        set(headers::CLIENT_CONTEXT, client_context);
    }
    reply
}

async fn answer(request: Request<Incoming>, shared: &Shared, id: &str, answer: Answer) -> Reply {
    // The invocation id the runtime echoes (rapid refuses another attempt's with 410).
    let echoed = request
        .headers()
        .get(headers::INVOCATION_ID)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let to = (id, echoed.as_deref());
    if answer == Answer::Response {
        let mode = request.headers().get(headers::RESPONSE_MODE);
        match ResponseMode::of(mode.map(HeaderValue::as_bytes)) {
            Some(ResponseMode::Buffered) => {}
            Some(ResponseMode::Streaming) => return streamed(request, shared, to).await,
            None => {
                let mode = String::from_utf8_lossy(mode.map_or(&[][..], HeaderValue::as_bytes));
                return rapid_reply(shared.answer_in_unknown_mode(to, &mode));
            }
        }
    }
    let body = Limited::new(request.into_body(), MAX_RESPONSE)
        .collect()
        .await;
    let reply = match body {
        Ok(body) => {
            let body = body.to_bytes();
            let len = body.len();
            let outcome = match answer {
                Answer::Response => Outcome::Response(body),
                Answer::Error => Outcome::Error(error_or_default(body)),
            };
            shared.answer(to, answer, len, Some(outcome))
        }
        // Over the limit: rapid's verdict closes the invocation and tells the caller.
        Err(_) => shared.answer(to, answer, MAX_RESPONSE + 1, None),
    };
    rapid_reply(reply)
}

/// A streamed response: each chunk goes on to the caller as it arrives (the runtime waits while
/// the caller is a few chunks behind), and an error in the trailers ends it. Taken or refused
/// at its start, as rapid's `invocationResponseHandler` takes it; once it has ended, 202, or
/// rapid's 413 over the limit and 400 for a body cut short. The invocation's deadline cuts it
/// off: the caller's stream ends with `Sandbox.Timedout`, and the runtime gets 410
/// `InvokeTimeout` (Managed Instances' `invocationresponse.go` renders a response that ran
/// into the function timeout so).
async fn streamed(
    request: Request<Incoming>,
    shared: &Shared,
    (id, echoed): (&str, Option<&str>),
) -> Reply {
    let (mut caller, deadline) = match shared.begin_stream((id, echoed)) {
        Ok((caller, deadline)) => (Some(caller), deadline),
        Err(refused) => return rapid_reply(refused),
    };
    let mut body = request.into_body();
    let mut received = 0;
    let (end, reply) = loop {
        let Ok(frame) = tokio::time::timeout_at(deadline, body.frame()).await else {
            let error = StreamError::new(SANDBOX_TIMEDOUT, &shared.timeout_message(id));
            break (Some(error), RapidReply::invoke_timeout());
        };
        let frame = match frame {
            None => break (None, RapidReply::accepted()),
            Some(Err(e)) => {
                let error = StreamError::new(RUNTIME_UNKNOWN, &format!("the stream broke: {e}"));
                break (Some(error), RapidReply::truncated_http_request());
            }
            Some(Ok(frame)) => frame,
        };
        let trailers = match frame.into_data() {
            Ok(chunk) => {
                received += chunk.len();
                if received > MAX_STREAMED_RESPONSE {
                    let message = response_size_too_large_message();
                    let error = StreamError::new(RESPONSE_SIZE_TOO_LARGE, &message);
                    break (Some(error), RapidReply::request_entity_too_large());
                }
                // A caller that went away leaves the rest to be read and dropped.
                if let Some(to) = &caller
                    && to.send(StreamEvent::Chunk(chunk)).await.is_err()
                {
                    caller = None;
                }
                continue;
            }
            Err(frame) => frame.into_trailers(),
        };
        if let Ok(trailers) = trailers {
            break (trailer_error(&trailers), RapidReply::accepted());
        }
    };
    let timed_out = reply.status == RapidReply::invoke_timeout().status;
    let log = shared.end_stream(id, timed_out);
    if let Some(caller) = caller {
        let _ = caller.send(StreamEvent::End { error: end, log }).await;
    }
    rapid_reply(reply)
}

/// The error a streamed response's trailers report: `Lambda-Runtime-Function-Error-Type`, and
/// the error JSON, base64, in `Lambda-Runtime-Function-Error-Body`.
fn trailer_error(trailers: &hyper::HeaderMap) -> Option<StreamError> {
    let error_type = trailers
        .get(headers::FUNCTION_ERROR_TYPE)?
        .to_str()
        .unwrap_or(RUNTIME_UNKNOWN);
    let body = trailers
        .get(headers::FUNCTION_ERROR_BODY)
        .and_then(|body| {
            base64::engine::general_purpose::STANDARD
                .decode(body.as_bytes())
                .ok()
        })
        .map(Bytes::from)
        .unwrap_or_default();
    Some(StreamError {
        error_type: error_type.to_owned(),
        body: error_or_default(body),
    })
}

fn rapid_reply(reply: RapidReply) -> Reply {
    json(
        StatusCode::from_u16(reply.status).expect("rapid's statuses are valid"),
        reply.body,
    )
}

async fn init_error(request: Request<Incoming>, shared: &Shared) -> Reply {
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let body = error_or_default(body);
    eprintln!(
        "lambda-emulator: the runtime failed to initialize: {}",
        String::from_utf8_lossy(&body)
    );
    shared.mark_init_failed();
    shared.fail_first_pending(|_| Outcome::Error(body.clone()));
    json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

/// The runtime's error body when it is JSON, else Lambda's shape around whatever it sent.
fn error_or_default(body: Bytes) -> Bytes {
    if serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object()) {
        return body;
    }
    let message = String::from_utf8_lossy(&body);
    Bytes::from(
        serde_json::json!({"errorType": RUNTIME_UNKNOWN, "errorMessage": message}).to_string(),
    )
}

fn not_found() -> Reply {
    let body =
        serde_json::json!({"errorType": "NotFound", "errorMessage": "no such Runtime API path"});
    let mut reply = json(StatusCode::NOT_FOUND, body.to_string());
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    reply
}
