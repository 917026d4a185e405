//! The Runtime API the child runtime talks to, answering as Lambda does (the protocol crate's
//! `rapid` model): `/next` waits for an invocation and carries every `Lambda-Runtime-*`
//! header and `Content-Type`; an answer is taken once (202), a second one is refused (403
//! `InvalidStateTransition`), one for another id too (400 `InvalidRequestID`), and a response
//! over the limit closes the invocation with 413, one in a response mode rapid does not know
//! with 400; `/init/error` fails the invocation whose cold start it was.
//!
//! - `next`: `GET /next`, an invocation with its headers.
//! - `answer`: a response or an error, read whole, and `/init/error`.
//! - `streamed`: a streamed response, passed on as it arrives.

mod answer;
mod next;
mod streamed;

use std::sync::Arc;

use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, StatusCode};
use lambda_handler_protocol::error_types::RUNTIME_UNKNOWN;
use lambda_handler_protocol::paths::{self, RUNTIME_API};
use lambda_handler_protocol::rapid::Reply as RapidReply;

use crate::environment::Environment;
use crate::http::{Reply, json};

pub(crate) async fn route(request: Request<Incoming>, environment: Arc<Environment>) -> Reply {
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(RUNTIME_API) else {
        return not_found();
    };
    // rapid's router serves each path with one method, and answers another one 405.
    let answer = paths::parse_answer(rest);
    let method = match (rest, answer) {
        (paths::NEXT, _) => Method::GET,
        (paths::INIT_ERROR, _) | (_, Some(_)) => Method::POST,
        _ => return not_found(),
    };
    if request.method() != method {
        return json(StatusCode::METHOD_NOT_ALLOWED, String::new());
    }
    match answer {
        Some((id, answer)) => {
            let id = id.to_owned();
            answer::answer(request, &environment, &id, answer).await
        }
        None if rest == paths::NEXT => next::next(&environment).await,
        None => answer::init_error(request, &environment).await,
    }
}

pub(super) fn rapid_reply(reply: RapidReply) -> Reply {
    json(
        StatusCode::from_u16(reply.status).expect("rapid's statuses are valid"),
        reply.body,
    )
}

/// The runtime's error body when it is JSON, else Lambda's shape around whatever it sent.
pub(super) fn error_or_default(body: Bytes) -> Bytes {
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
