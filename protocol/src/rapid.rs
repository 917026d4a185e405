//! How the Runtime API answers, as AWS's Runtime Interface Emulator (`rapid`) implements
//! Lambda's: the state of the execution environment's one invocation, the status and body of
//! each answer, and what each status means to a runtime (the Runtime API's OpenAPI spec).
//!
//! Sources, in aws-lambda-runtime-interface-emulator:
//! - `lambda/core/states.go` (and the state names beside it): a runtime goes Ready -> InvocationResponse (or
//!   InvocationErrorResponse) -> RuntimeResponseSentState, and every answer outside Ready is
//!   `ErrNotAllowed` ("State transition is not allowed").
//! - `lambda/rapi/handler/invocationresponse.go`, `invocationerror.go`: a refused transition
//!   is rendered 403 `InvalidStateTransition` with `StateTransitionFailedForRuntimeMessageFormat`
//!   (`lambda/rapi/handler/constants.go`); an answer to another id is 400 `InvalidRequestID`;
//!   a response over `interop.MaxPayloadSize` is sent to the caller as
//!   `Function.ResponseSizeTooLarge` by rapid itself, the runtime is moved to
//!   RuntimeResponseSentState, and the runtime gets 413 `RequestEntityTooLarge`.
//! - `lambda/rapi/handler/invocationresponse.go` (the streaming version): a
//!   `Lambda-Runtime-Function-Response-Mode` that is neither absent, empty nor `streaming`
//!   fails the invocation with `Runtime.InvalidResponseModeHeader` for the caller, and the
//!   runtime gets 400 `InvalidFunctionResponseMode`; Lambda Managed Instances' rapid
//!   (`internal/lambda-managed-instances/.../invoke/runtime_response.go`) takes the same three
//!   values and refuses `buffered` too.
//! - `lambda/rapi/rendering/render_error.go`, `rendering.go`: the bodies, JSON.
//! - The OpenAPI spec (runtime-api.zip, 2018-06-01): `/next` answers 200, 403 or 500;
//!   `/response` 202, 400, 403, 413 or 500; `/error` 202, 400, 403 or 500; only 500 is
//!   "Container error. Non-recoverable state. Runtime should exit promptly."

use std::collections::VecDeque;

use crate::headers::STREAMING;
use crate::limits::{MAX_RESPONSE, MAX_STREAMED_RESPONSE};
use crate::paths::Answer;

/// rapid's runtime state names (`lambda/core`).
const STARTED: &str = "Started";
const RESPONSE_SENT: &str = "RuntimeResponseSentState";

/// A reply of the Runtime API to an answer: its status and JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: String,
}

impl Reply {
    /// 202: the answer is taken.
    pub fn accepted() -> Self {
        Reply {
            status: 202,
            body: r#"{"status":"OK"}"#.to_owned(),
        }
    }

    fn error(status: u16, error_type: &str, message: &str) -> Self {
        let escape = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        Reply {
            status,
            body: format!(
                r#"{{"errorMessage":"{}","errorType":"{}"}}"#,
                escape(message),
                escape(error_type)
            ),
        }
    }

    /// 403: the invocation was already answered (or none is in flight).
    pub fn invalid_state_transition(from: &str, answer: Answer) -> Self {
        let to = match answer {
            Answer::Response => "InvocationResponse",
            Answer::Error => "InvocationErrorResponse",
        };
        Self::error(
            403,
            "InvalidStateTransition",
            &format!(
                "State transition from {from} to {to} failed for runtime. Error: State transition is not allowed"
            ),
        )
    }

    /// 400: no invocation in flight has this id.
    pub fn invalid_request_id() -> Self {
        Self::error(400, "InvalidRequestID", "Invalid request ID")
    }

    /// 500: rapid's internal server error (`RenderInternalServerError`), which the Runtime API
    /// spec calls non-recoverable.
    pub fn internal_server_error() -> Self {
        Self::error(500, "InternalServerError", "Internal Server Error")
    }

    /// 413: the response is over its limit; the invocation is closed. rapid's
    /// `RenderRequestEntityTooLarge` names `interop.MaxPayloadSize` ([`MAX_RESPONSE`]) whatever
    /// the limit was, a streamed response's included.
    pub fn request_entity_too_large() -> Self {
        Self::error(
            413,
            "RequestEntityTooLarge",
            &format!("Exceeded maximum allowed payload size ({MAX_RESPONSE} bytes)."),
        )
    }

    /// 400: a response's `Lambda-Runtime-Function-Response-Mode` is not one rapid knows
    /// (`RenderInvalidFunctionResponseMode`).
    pub fn invalid_function_response_mode() -> Self {
        Self::error(
            400,
            "InvalidFunctionResponseMode",
            "Invalid function response mode",
        )
    }

    /// 400: a streamed response's body ended before its last chunk (the connection broke);
    /// rapid's `RenderTruncatedHTTPRequestError` for `interop.ErrTruncatedResponse`
    /// (`rapi/handler/invocationresponse.go`, `rapi/rendering/render_error.go`).
    pub fn truncated_http_request() -> Self {
        Self::error(
            400,
            "TruncatedHTTPRequest",
            "HTTP request detected as truncated",
        )
    }
}

/// What became of an answer the Runtime API received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Taken: the caller gets this answer.
    Accepted,
    /// A response over the limit: the caller gets `Function.ResponseSizeTooLarge` from Lambda
    /// itself, and the invocation is closed.
    TooLarge,
    /// Refused; nothing changes for the caller.
    Refused,
    /// A response in a mode rapid does not know: the caller gets
    /// `Runtime.InvalidResponseModeHeader` from Lambda itself, and the invocation is closed.
    InvalidResponseMode,
}

/// How a runtime sends a response (`Lambda-Runtime-Function-Response-Mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseMode {
    /// No header, or an empty one: the body is the whole response.
    Buffered,
    /// `streaming`: the body is sent in chunks, an error after them in trailers.
    Streaming,
}

impl ResponseMode {
    /// The mode the header's value names, or `None` for one rapid refuses (anything but
    /// absent, empty or exactly `streaming`).
    pub fn of(header: Option<&[u8]>) -> Option<Self> {
        match header {
            None | Some(b"") => Some(ResponseMode::Buffered),
            Some(value) if value == STREAMING.as_bytes() => Some(ResponseMode::Streaming),
            Some(_) => None,
        }
    }
}

/// The execution environment's invocations in flight, as rapid tracks its runtime.
///
/// One at a time by default, as rapid models Lambda. With a concurrency above 1 (Lambda
/// Managed Instances, `AWS_LAMBDA_MAX_CONCURRENCY`), several are in flight and each is
/// answered once on its own id; RIE has no such mode, so the replies are rapid's, applied per
/// invocation: a second answer to an invocation that was answered is 403
/// `InvalidStateTransition`, an answer to an id never handed out is 400 `InvalidRequestID`.
#[derive(Clone, Debug)]
pub struct Environment {
    concurrency: usize,
    /// Whether `/next` ever handed out an invocation (before that, rapid's state is Started).
    started: bool,
    in_flight: Vec<String>,
    /// The last invocations closed, with a concurrency above 1: an answer to one of them is a
    /// duplicate, not an unknown id.
    closed: VecDeque<String>,
}

/// How many closed invocations are remembered as closed.
const CLOSED_REMEMBERED: usize = 256;

impl Default for Environment {
    fn default() -> Self {
        Self::with_concurrency(1)
    }
}

impl Environment {
    /// An environment that takes up to `concurrency` invocations at once (at least 1).
    pub fn with_concurrency(concurrency: usize) -> Self {
        Environment {
            concurrency: concurrency.max(1),
            started: false,
            in_flight: Vec::new(),
            closed: VecDeque::new(),
        }
    }

    /// How many invocations may be in flight at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// `GET /next` handed out the invocation `request_id`. With a concurrency of 1 it replaces
    /// the one in flight, as rapid's transition to Ready does.
    pub fn handed_out(&mut self, request_id: &str) {
        self.started = true;
        if self.concurrency == 1 {
            self.in_flight.clear();
        }
        self.in_flight.push(request_id.to_owned());
    }

    /// The invocations in flight, oldest first.
    pub fn in_flight(&self) -> &[String] {
        &self.in_flight
    }

    /// Whether `request_id` is in flight.
    pub fn is_in_flight(&self, request_id: &str) -> bool {
        self.in_flight.iter().any(|id| id == request_id)
    }

    /// Closes an invocation in flight without an answer (its deadline passed, or the runtime
    /// is being replaced): later answers to it are refused. False when it was not in flight.
    pub fn close(&mut self, request_id: &str) -> bool {
        let Some(index) = self.in_flight.iter().position(|id| id == request_id) else {
            return false;
        };
        let id = self.in_flight.remove(index);
        if self.concurrency > 1 {
            if self.closed.len() == CLOSED_REMEMBERED {
                self.closed.pop_front();
            }
            self.closed.push_back(id);
        }
        true
    }

    /// An answer of `len` bytes to `request_id` arrived: the verdict and the reply.
    pub fn answer(&mut self, request_id: &str, answer: Answer, len: usize) -> (Verdict, Reply) {
        self.answer_within(request_id, answer, len, MAX_RESPONSE)
    }

    /// A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`) of `len`
    /// bytes so far to `request_id`: as [`Environment::answer`], with the limit of a streamed
    /// response, [`MAX_STREAMED_RESPONSE`]. An emulator that passes the stream on as it
    /// arrives asks with `len` 0 when it begins.
    pub fn answer_streamed(&mut self, request_id: &str, len: usize) -> (Verdict, Reply) {
        self.answer_within(request_id, Answer::Response, len, MAX_STREAMED_RESPONSE)
    }

    fn answer_within(
        &mut self,
        request_id: &str,
        answer: Answer,
        len: usize,
        limit: usize,
    ) -> (Verdict, Reply) {
        if self.close(request_id) {
            if answer == Answer::Response && len > limit {
                return (Verdict::TooLarge, Reply::request_entity_too_large());
            }
            return (Verdict::Accepted, Reply::accepted());
        }
        (Verdict::Refused, self.refusal(request_id, answer))
    }

    /// A response to `request_id` in a mode [`ResponseMode::of`] refuses. rapid checks the
    /// state first: an invocation already answered is 403 as any answer would be; otherwise
    /// the runtime gets 400 `InvalidFunctionResponseMode`, and an invocation in flight is
    /// closed with `Runtime.InvalidResponseModeHeader` for its caller.
    pub fn answer_in_unknown_mode(&mut self, request_id: &str) -> (Verdict, Reply) {
        if self.close(request_id) {
            return (
                Verdict::InvalidResponseMode,
                Reply::invalid_function_response_mode(),
            );
        }
        match self.refusal(request_id, Answer::Response) {
            forbidden if forbidden.status == 403 => (Verdict::Refused, forbidden),
            _ => (Verdict::Refused, Reply::invalid_function_response_mode()),
        }
    }

    /// rapid's reply to an answer for an invocation that is not in flight.
    fn refusal(&self, request_id: &str, answer: Answer) -> Reply {
        let duplicate = self.closed.iter().any(|id| id == request_id);
        if !self.in_flight.is_empty() && !duplicate {
            return Reply::invalid_request_id();
        }
        let from = if self.started { RESPONSE_SENT } else { STARTED };
        Reply::invalid_state_transition(from, answer)
    }
}

/// What a runtime does with the Runtime API's reply to an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerStatus {
    /// 2xx: taken.
    Accepted,
    /// 413: over the limit; Lambda reported `Function.ResponseSizeTooLarge` to the caller and
    /// closed the invocation.
    TooLarge,
    /// 400 or 403 (any 4xx): this invocation is closed (already answered, or unknown); serve
    /// the next one.
    Closed,
    /// 500: "Container error. Non-recoverable state. Runtime should exit promptly."
    Fatal,
    /// Any other status, which the Runtime API does not send: the answer's fate is unknown;
    /// serve the next one.
    Unexpected,
}

impl AnswerStatus {
    /// The meaning of `status` for `/response` and `/error`.
    pub fn of(status: u16) -> Self {
        match status {
            200..=299 => AnswerStatus::Accepted,
            413 => AnswerStatus::TooLarge,
            400..=499 => AnswerStatus::Closed,
            500 => AnswerStatus::Fatal,
            _ => AnswerStatus::Unexpected,
        }
    }
}

/// What a runtime does with the Runtime API's reply to `GET /next`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStatus {
    /// 200: an invocation.
    Event,
    /// 204: nothing to do yet (emulators that poll); ask again.
    Idle,
    /// 403, 500, or anything else: the environment is finished; exit.
    Fatal,
}

impl NextStatus {
    /// The meaning of `status` for `/next`.
    pub fn of(status: u16) -> Self {
        match status {
            200 => NextStatus::Event,
            204 => NextStatus::Idle,
            _ => NextStatus::Fatal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invocation_is_answered_once() {
        let mut env = Environment::default();
        env.handed_out("a");
        assert_eq!(env.answer("a", Answer::Response, 2).0, Verdict::Accepted);
        let (verdict, reply) = env.answer("a", Answer::Response, 2);
        assert_eq!(verdict, Verdict::Refused);
        assert_eq!(reply.status, 403);
        assert_eq!(
            reply.body,
            r#"{"errorMessage":"State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}"#
        );
        assert_eq!(env.answer("a", Answer::Error, 2).1.status, 403);
    }

    #[test]
    fn only_absent_empty_or_streaming_is_a_response_mode() {
        assert_eq!(ResponseMode::of(None), Some(ResponseMode::Buffered));
        assert_eq!(ResponseMode::of(Some(b"")), Some(ResponseMode::Buffered));
        assert_eq!(
            ResponseMode::of(Some(b"streaming")),
            Some(ResponseMode::Streaming)
        );
        for refused in [&b"buffered"[..], b"Streaming", b"streaming ", b"stream"] {
            assert_eq!(ResponseMode::of(Some(refused)), None, "{refused:?}");
        }
    }

    #[test]
    fn an_unknown_response_mode_closes_the_invocation_with_rapids_400() {
        let mut env = Environment::default();
        env.handed_out("a");
        let (verdict, reply) = env.answer_in_unknown_mode("a");
        assert_eq!(verdict, Verdict::InvalidResponseMode);
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (
                400,
                r#"{"errorMessage":"Invalid function response mode","errorType":"InvalidFunctionResponseMode"}"#
            )
        );
        assert!(env.in_flight().is_empty());
        // Closed: a second answer is refused as any duplicate is.
        assert_eq!(env.answer("a", Answer::Response, 2).1.status, 403);
        assert_eq!(env.answer_in_unknown_mode("a").1.status, 403);
        // An id not in flight while another is: still the mode's 400, and nothing closes.
        env.handed_out("b");
        let (verdict, reply) = env.answer_in_unknown_mode("c");
        assert_eq!((verdict, reply.status), (Verdict::Refused, 400));
        assert!(reply.body.contains("InvalidFunctionResponseMode"));
        assert_eq!(env.in_flight(), ["b"]);
    }

    #[test]
    fn another_id_is_an_invalid_request_id_and_changes_nothing() {
        let mut env = Environment::default();
        assert_eq!(env.answer("a", Answer::Error, 2).1.status, 403);
        env.handed_out("a");
        let (verdict, reply) = env.answer("b", Answer::Response, 2);
        assert_eq!((verdict, reply.status), (Verdict::Refused, 400));
        assert_eq!(env.in_flight(), ["a"]);
        assert_eq!(env.answer("a", Answer::Error, 2).0, Verdict::Accepted);
    }

    #[test]
    fn a_response_over_the_limit_closes_the_invocation() {
        let mut env = Environment::default();
        env.handed_out("a");
        let (verdict, reply) = env.answer("a", Answer::Response, MAX_RESPONSE + 1);
        assert_eq!((verdict, reply.status), (Verdict::TooLarge, 413));
        // The follow-up error report is refused: rapid already answered the caller.
        assert_eq!(env.answer("a", Answer::Error, 100).1.status, 403);
        env.handed_out("b");
        assert_eq!(
            env.answer("b", Answer::Response, MAX_RESPONSE).0,
            Verdict::Accepted
        );
    }

    #[test]
    fn concurrent_invocations_are_each_answered_once() {
        let mut env = Environment::with_concurrency(3);
        for id in ["a", "b", "c"] {
            env.handed_out(id);
        }
        assert_eq!(env.answer("b", Answer::Response, 2).0, Verdict::Accepted);
        // A duplicate of an answered one is the 403 rapid gives a second answer, even while
        // others are in flight; an id never handed out is 400.
        assert_eq!(env.answer("b", Answer::Response, 2).1.status, 403);
        assert_eq!(env.answer("z", Answer::Response, 2).1.status, 400);
        assert_eq!(env.in_flight(), ["a", "c"]);
        assert!(env.close("a"));
        assert_eq!(env.answer("a", Answer::Error, 2).1.status, 403);
        assert_eq!(env.answer("c", Answer::Error, 2).0, Verdict::Accepted);
        assert!(env.in_flight().is_empty());
    }

    #[test]
    fn a_streamed_response_has_the_streaming_limit() {
        let mut env = Environment::default();
        env.handed_out("a");
        assert_eq!(env.answer_streamed("a", 50 << 20).0, Verdict::Accepted);
        env.handed_out("b");
        let (verdict, reply) = env.answer_streamed("b", MAX_STREAMED_RESPONSE + 1);
        assert_eq!((verdict, reply.status), (Verdict::TooLarge, 413));
        assert_eq!(reply, Reply::request_entity_too_large());
    }

    #[test]
    fn statuses_mean_what_the_openapi_spec_says() {
        assert_eq!(AnswerStatus::of(202), AnswerStatus::Accepted);
        assert_eq!(AnswerStatus::of(400), AnswerStatus::Closed);
        assert_eq!(AnswerStatus::of(403), AnswerStatus::Closed);
        assert_eq!(AnswerStatus::of(413), AnswerStatus::TooLarge);
        assert_eq!(AnswerStatus::of(500), AnswerStatus::Fatal);
        assert_eq!(AnswerStatus::of(502), AnswerStatus::Unexpected);
        assert_eq!(NextStatus::of(200), NextStatus::Event);
        assert_eq!(NextStatus::of(204), NextStatus::Idle);
        assert_eq!(NextStatus::of(403), NextStatus::Fatal);
        assert_eq!(NextStatus::of(500), NextStatus::Fatal);
    }
}
