//! What passes between a caller and the runtime: an invocation from the Invoke API, and how it
//! ended (a response, an error, or a stream of chunks), delivered to its caller.

use hyper::body::Bytes;
use tokio::sync::{mpsc, oneshot};

/// An invocation from the Invoke API.
pub(crate) struct Invocation {
    pub(crate) id: String,
    pub(crate) payload: Bytes,
    /// The caller's client context, JSON, for `Lambda-Runtime-Client-Context`.
    pub(crate) client_context: Option<String>,
    /// The caller's tenant (`X-Amz-Tenant-Id`), for `Lambda-Runtime-Aws-Tenant-Id`.
    pub(crate) tenant_id: Option<String>,
    /// Where the outcome goes; `None` for an `Event` invocation, whose value is discarded.
    pub(crate) reply: Option<oneshot::Sender<Completed>>,
    /// The caller asked for the log's tail (`X-Amz-Log-Type: Tail`).
    pub(crate) wants_log: bool,
}

/// An invocation's outcome, and the last 4 KB of its log when the caller asked for it.
#[derive(Debug)]
pub(crate) struct Completed {
    pub(crate) outcome: Outcome,
    pub(crate) log: Option<Vec<u8>>,
}

/// How an invocation ended, as the Invoke API reports it.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The function's response.
    Response(Bytes),
    /// A function error: Lambda's error JSON, sent with `X-Amz-Function-Error: Unhandled`.
    Error(Bytes),
    /// A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`): the content
    /// type the runtime gave it, and its chunks as the runtime sends them.
    Streamed {
        content_type: Option<String>,
        chunks: mpsc::Receiver<StreamEvent>,
    },
}

/// What a streamed response brings.
#[derive(Debug)]
pub(crate) enum StreamEvent {
    Chunk(Bytes),
    /// The end: the error that ended it early, if one did, and the invocation's log tail
    /// when its caller asked for it.
    End {
        error: Option<StreamError>,
        log: Option<Vec<u8>>,
    },
}

/// An error that ended a streamed response (its trailers said so, or the stream broke).
#[derive(Debug)]
pub(crate) struct StreamError {
    /// `Lambda-Runtime-Function-Error-Type`.
    pub(crate) error_type: String,
    /// The error JSON.
    pub(crate) body: Bytes,
}

/// How many chunks of a streamed response wait for its caller before the runtime is slowed:
/// memory stays a few chunks deep whatever the response's size.
pub(crate) const STREAM_DEPTH: usize = 4;

impl Outcome {
    /// A function error of the given type and message.
    pub(crate) fn error(error_type: &str, message: &str) -> Self {
        Outcome::Error(error_body(error_type, message))
    }
}

impl StreamError {
    /// A streamed response ended early by an error of the given type and message.
    pub(crate) fn new(error_type: &str, message: &str) -> Self {
        StreamError {
            error_type: error_type.to_owned(),
            body: error_body(error_type, message),
        }
    }
}

/// Lambda's error JSON.
fn error_body(error_type: &str, message: &str) -> Bytes {
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message});
    Bytes::from(body.to_string())
}

/// Gives an invocation's outcome to its caller; an `Event` invocation has none, and its error is
/// logged.
pub(crate) fn deliver(id: &str, reply: Option<oneshot::Sender<Completed>>, completed: Completed) {
    match reply {
        Some(reply) => {
            // The caller may have gone; the outcome then has no one to go to.
            let _ = reply.send(completed);
        }
        None => {
            if let Outcome::Error(body) = &completed.outcome {
                eprintln!(
                    "lambda-emulator: event invocation {id} failed: {}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    }
}
