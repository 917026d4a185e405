//! `InvokeWithResponseStream`'s reply: the response as AWS's event stream, each chunk as the
//! function streams it.

use std::sync::Arc;

use base64::Engine;
use http_body_util::Either;
use hyper::Response;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use lambda_handler_protocol::error_types::RUNTIME_UNKNOWN;
use lambda_handler_protocol::headers;
use tokio::sync::{mpsc, oneshot};

use crate::environment::Environment;
use crate::environment::outcome::{Completed, Outcome, StreamEvent};
use crate::eventstream::{self, Complete};
use crate::http::{Frames, Reply};

/// `InvokeWithResponseStream`'s reply: 200 at once, then the response as an event stream, a
/// `PayloadChunk` per chunk as the function streams it (a buffered response is one chunk),
/// and `InvokeComplete` with the error, if any, and the log's tail when asked for.
pub(super) fn stream_reply(
    environment: Arc<Environment>,
    id: String,
    outcome: oneshot::Receiver<Completed>,
) -> Reply {
    let (frames, body) = mpsc::channel(STREAM_FRAMES);
    tokio::spawn(async move {
        let completed = environment.completed(&id, outcome).await;
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
            Outcome::Streamed { mut chunks, .. } => {
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
