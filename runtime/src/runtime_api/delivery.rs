//! Posting an invocation's answer to the Runtime API, and what became of it: a response or an
//! error, retried on a new connection when the transport fails (Lambda refuses a second
//! arrival with 403, so an answer is never accepted twice); a streamed response, never
//! retried.

use std::time::Duration;

use lambda_handler_protocol::rapid::AnswerStatus;

use crate::handler::error::InvocationError;
use crate::log::log;
use crate::runtime_api::client::{AnswerTo, Client, ClientError, Reply};
use crate::runtime_api::payload::{BufferReturn, Payload, StreamedBody};

/// How often an answer is posted before it is given up as lost.
const POST_ATTEMPTS: u32 = 3;

/// How long a retry waits for hyper to hand back the response body of a failed exchange.
const BODY_RETURN_WAIT: Duration = Duration::from_millis(200);

/// The buffers one invocation uses, kept from one to the next.
#[derive(Default)]
pub(crate) struct Buffers {
    /// The event, as `/next` delivered it; then the response body the handler wrote.
    pub(crate) body: Vec<u8>,
    /// The Runtime API's reply to an answer (read for its error message).
    pub(crate) reply: Vec<u8>,
    /// Where `body` comes back once hyper has sent it.
    pub(crate) returned: BufferReturn,
    /// The number of the last answer posted, which its returned buffer carries.
    pub(crate) answers: u64,
}

/// Streams a response to the Runtime API as the handler's stream yields it. It is not
/// retried: a stream cannot be replayed, and its first chunks may already be with the caller.
pub(crate) async fn deliver_streamed(
    client: &mut Client,
    to: AnswerTo<'_>,
    streaming: crate::handler::streaming::Streaming,
    reply: &mut Vec<u8>,
) -> Result<(), String> {
    let (body, content_type) = StreamedBody::new(streaming, to.request_id);
    let delivery = match client
        .respond_streamed(to, Payload::Streamed(body), content_type, reply)
        .await
    {
        Ok(replied) => Delivery::of(&replied, reply),
        Err(e) => Delivery::Lost(e),
    };
    delivery.into_result(to.request_id, "streamed response")
}

/// What is posted for an invocation.
pub(crate) enum Answer<'a> {
    /// The response body in `Buffers::body`.
    Response,
    Error(&'a InvocationError),
}

/// What became of an answer.
pub(crate) enum Delivery {
    /// The Runtime API replied with this status and body.
    Status(AnswerStatus, String),
    /// The connection failed every time; whether the answer arrived is unknown.
    Lost(ClientError),
    /// The connection failed and the response body never came back from hyper, so it could
    /// not be posted again.
    NotSent,
}

impl Delivery {
    /// The Runtime API's reply to an answer, its `body` read only for a refusal's log line:
    /// nothing is allocated for the accepted answer of every invocation.
    pub(crate) fn of(reply: &Reply, body: &[u8]) -> Self {
        let status = AnswerStatus::of(reply.status.as_u16());
        let body = match status {
            AnswerStatus::Accepted => String::new(),
            _ => crate::log::excerpt(body),
        };
        Delivery::Status(status, body)
    }

    pub(crate) fn into_result(self, request_id: &str, what: &str) -> Result<(), String> {
        match self {
            Delivery::Status(AnswerStatus::Accepted, _) => Ok(()),
            Delivery::Status(AnswerStatus::Fatal, body) => Err(format!(
                "the Runtime API answered the {what} to {request_id} with 500: {body} (non-recoverable)"
            )),
            // A streamed response over Lambda's limit: Lambda has closed the invocation and
            // told the caller (a buffered one's error is posted by the loop, for emulators).
            Delivery::Status(AnswerStatus::TooLarge, _) => {
                log!(
                    Warn,
                    "the Runtime API refused the {what} to {request_id} as too large (413); \
                     Lambda reports Function.ResponseSizeTooLarge to the caller"
                );
                Ok(())
            }
            // Lambda closed the invocation at its deadline (or the answer is an older
            // attempt's): the answer reached no one, and the next invocation is waiting.
            Delivery::Status(AnswerStatus::TimedOut, _) => {
                log!(
                    Warn,
                    "the Runtime API refused the {what} to {request_id}: the invocation timed out \
                     before it arrived (410 InvokeTimeout)"
                );
                Ok(())
            }
            // The invocation is closed: answered already (a retry whose first try arrived), or
            // unknown. Nothing is lost; serve the next one.
            Delivery::Status(AnswerStatus::Closed, body) => {
                log!(
                    Warn,
                    "the Runtime API refused the {what} to {request_id}, which is closed: {body}"
                );
                Ok(())
            }
            Delivery::Status(status, body) => {
                log!(
                    Warn,
                    "the Runtime API answered the {what} to {request_id} unexpectedly ({status:?}): {body}"
                );
                Ok(())
            }
            Delivery::Lost(e) => {
                log!(Warn, "the {what} to {request_id} may be lost: {e}");
                Ok(())
            }
            Delivery::NotSent => {
                log!(Warn, "the {what} to {request_id} could not be sent again");
                Ok(())
            }
        }
    }
}

/// Posts an answer. A transport failure is retried on a new connection: if the first try did
/// arrive, Lambda refuses the second (403, the invocation is closed), so an answer is never
/// accepted twice.
pub(crate) async fn deliver(
    client: &mut Client,
    to: AnswerTo<'_>,
    answer: Answer<'_>,
    buffers: &mut Buffers,
) -> Delivery {
    let mut attempt = 0;
    let mut response = Some(std::mem::take(&mut buffers.body));
    buffers.answers += 1;
    let this_answer = buffers.answers;
    let delivery = loop {
        attempt += 1;
        let reply = match &answer {
            Answer::Response => {
                let bytes = match response.take() {
                    Some(bytes) => bytes,
                    // A retry: the body hyper was sending comes back once its exchange has
                    // wound down; this answer's own, never an earlier one's, and never posted
                    // empty in its place.
                    None => match buffers.returned.wait(this_answer, BODY_RETURN_WAIT).await {
                        Some(bytes) => bytes,
                        None => break Delivery::NotSent,
                    },
                };
                let payload = buffers.returned.payload(bytes, this_answer);
                client.respond(to, payload, &mut buffers.reply).await
            }
            Answer::Error(error) => {
                let payload = Payload::once(error.to_json());
                let error_type = error.header_value();
                client
                    .report_error(Some(to), payload, &error_type, &mut buffers.reply)
                    .await
            }
        };
        match reply {
            Ok(reply) => break Delivery::of(&reply, &buffers.reply),
            Err(e) if attempt >= POST_ATTEMPTS => break Delivery::Lost(e),
            Err(e) => {
                log!(
                    Warn,
                    "posting the answer to {} failed ({e}); retrying",
                    to.request_id
                );
                tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
            }
        }
    };
    // The response buffer, back from hyper, serves the next invocation (cleared before use).
    buffers.body = response
        .or_else(|| buffers.returned.take_any())
        .unwrap_or_default();
    delivery
}
