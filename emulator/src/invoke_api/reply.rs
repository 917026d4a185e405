//! `Invoke`'s reply once the invocation has ended: the response, or the error with
//! `X-Amz-Function-Error: Unhandled`, and the log's tail when asked for.

use base64::Engine;
use hyper::StatusCode;
use hyper::body::Bytes;
use hyper::header::HeaderValue;
use lambda_handler_protocol::headers;
use tokio::sync::oneshot;

use crate::environment::Environment;
use crate::environment::outcome::{Completed, Outcome, StreamEvent};
use crate::http::{Reply, json};

/// `Invoke`'s reply to the invocation `id`, once its outcome comes.
pub(super) async fn reply(
    environment: &Environment,
    id: &str,
    outcome: oneshot::Receiver<Completed>,
) -> Reply {
    let completed = environment.completed(id, outcome).await;
    let (mut reply, streamed_log) = respond(completed.outcome).await;
    if let Some(log) = completed.log.or(streamed_log) {
        let log = base64::engine::general_purpose::STANDARD.encode(log);
        if let Ok(log) = HeaderValue::from_str(&log) {
            reply.headers_mut().insert(headers::LOG_RESULT, log);
        }
    }
    reply
}

/// `Invoke`'s reply. A streamed response is gathered whole first, as Lambda gives it to a
/// caller that did not ask for a stream; its log tail comes at its end.
async fn respond(outcome: Outcome) -> (Reply, Option<Vec<u8>>) {
    let mut streamed_log = None;
    let outcome = match outcome {
        Outcome::Streamed { mut chunks, .. } => {
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

pub(super) fn reply_to(outcome: Outcome) -> Reply {
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
        Outcome::Streamed { .. } => unreachable!("gathered above"),
    }
}

pub(super) fn with_request_id(mut reply: Reply, id: &str) -> Reply {
    if let Ok(id) = HeaderValue::from_str(id) {
        reply.headers_mut().insert(headers::AMZN_REQUEST_ID, id);
    }
    reply
}
