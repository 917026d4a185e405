//! An invocation's answer read whole (a response, or an error), and `/init/error`: rapid's
//! verdict on each, and the outcome its caller gets.

use http_body_util::{BodyExt, Limited};
use hyper::Request;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use lambda_handler_protocol::headers;
use lambda_handler_protocol::limits::MAX_RESPONSE;
use lambda_handler_protocol::paths::Answer;
use lambda_handler_protocol::rapid::ResponseMode;

use super::{error_or_default, rapid_reply, streamed};
use crate::environment::Environment;
use crate::environment::outcome::Outcome;
use crate::http::Reply;

pub(super) async fn answer(
    request: Request<Incoming>,
    environment: &Environment,
    id: &str,
    answer: Answer,
) -> Reply {
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
            Some(ResponseMode::Streaming) => {
                return streamed::streamed(request, environment, to).await;
            }
            None => {
                let mode = String::from_utf8_lossy(mode.map_or(&[][..], HeaderValue::as_bytes));
                return rapid_reply(environment.invocations.answer_in_unknown_mode(to, &mode));
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
            environment
                .invocations
                .answer(to, answer, len, Some(outcome))
        }
        // Over the limit: rapid's verdict closes the invocation and tells the caller.
        Err(_) => environment
            .invocations
            .answer(to, answer, MAX_RESPONSE + 1, None),
    };
    rapid_reply(reply)
}

pub(super) async fn init_error(request: Request<Incoming>, environment: &Environment) -> Reply {
    let verdict = environment.invocations.init_error();
    if verdict.status != 202 {
        return rapid_reply(verdict);
    }
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
    environment.process.mark_init_failed();
    environment
        .queue
        .fail_first(|_| Outcome::Error(body.clone()));
    rapid_reply(verdict)
}
