//! A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`), passed on to its
//! caller chunk by chunk as it arrives.

use base64::Engine;
use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::{Bytes, Incoming};
use lambda_handler_protocol::error_types::{
    RESPONSE_SIZE_TOO_LARGE, RUNTIME_UNKNOWN, SANDBOX_TIMEDOUT, response_size_too_large_message,
};
use lambda_handler_protocol::headers;
use lambda_handler_protocol::limits::MAX_STREAMED_RESPONSE;
use lambda_handler_protocol::rapid::Reply as RapidReply;

use super::{error_or_default, rapid_reply};
use crate::environment::Environment;
use crate::environment::outcome::{StreamError, StreamEvent};
use crate::http::Reply;

/// A streamed response: each chunk goes on to the caller as it arrives (the runtime waits while
/// the caller is a few chunks behind), and an error in the trailers ends it. Taken or refused
/// at its start, as rapid's `invocationResponseHandler` takes it; once it has ended, 202, or
/// rapid's 413 over the limit and 400 for a body cut short. The invocation's deadline cuts it
/// off: the caller's stream ends with `Sandbox.Timedout`, and the runtime gets 410
/// `InvokeTimeout` (Managed Instances' `invocationresponse.go` renders a response that ran
/// into the function timeout so).
pub(super) async fn streamed(
    request: Request<Incoming>,
    environment: &Environment,
    (id, echoed): (&str, Option<&str>),
) -> Reply {
    let content_type = request
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (mut caller, deadline) = match environment
        .invocations
        .begin_stream((id, echoed), content_type)
    {
        Ok((caller, deadline)) => (Some(caller), deadline),
        Err(refused) => return rapid_reply(refused),
    };
    let mut body = request.into_body();
    let mut received = 0;
    let (end, reply) = loop {
        let Ok(frame) = tokio::time::timeout_at(deadline, body.frame()).await else {
            let error = StreamError::new(
                SANDBOX_TIMEDOUT,
                &environment.invocations.timeout_message(id),
            );
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
    let log = environment.end_stream(id, timed_out);
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
