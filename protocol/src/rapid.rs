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
//! - Lambda Managed Instances' rapid, `internal/lambda-managed-instances/`, for what Lambda
//!   added in 2026 against cross-wiring, and for several invocations at once:
//!   `invoke/running_invoke.go` (`RuntimeResponse`, `RuntimeError`): an answer that echoes a
//!   `Lambda-Runtime-Invocation-Id` other than the one `/next` sent is refused with
//!   `ErrorRuntimeInvokeTimeout` ("Cross-wiring detected"), and one that echoes none is taken;
//!   `invoke/invoke_router.go`: an answer to an id not running is `ErrorRuntimeInvalidInvokeId`,
//!   unless the id timed out, which `timeout/timeout_cache.go` remembers (the last 1,000,
//!   each consumed by one late answer): `ErrorRuntimeInvokeTimeout`;
//!   `rapi/handler/invocationresponse.go`, `invocationerror.go` render those as 410
//!   `InvokeTimeout` (`rapi/rendering/render_error.go`, `RenderInvokeTimeout`) and 400
//!   `InvalidRequestID`; a second answer to a running invocation is 400 too
//!   (`ErrorRuntimeInvokeResponseInProgress`, `ErrorRuntimeInvokeResponseWasSent`).
//! - The OpenAPI spec (runtime-api.zip, 2018-06-01): `/next` answers 200, 403 or 500;
//!   `/response` 202, 400, 403, 413 or 500; `/error` 202, 400, 403 or 500; only 500 is
//!   "Container error. Non-recoverable state. Runtime should exit promptly."

use std::collections::VecDeque;

use crate::headers::STREAMING;
use crate::limits::{MAX_RESPONSE, MAX_STREAMED_RESPONSE};
use crate::paths::Answer;

/// rapid's runtime state names (`lambda/core`).
const STARTED: &str = "Started";
const READY: &str = "Ready";
const INIT_ERROR: &str = "InitError";
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

    /// 403: `/runtime/init/error` from a runtime that has left init (it asked for `/next`):
    /// rapid's `initErrorHandler` (`lambda/rapi/handler/initerror.go`) refuses the
    /// transition to InitError from the runtime's state.
    pub fn init_error_refused(from: &str) -> Self {
        Self::error(
            403,
            "InvalidStateTransition",
            &format!(
                "State transition from {from} to {INIT_ERROR} failed for runtime. Error: State transition is not allowed"
            ),
        )
    }

    /// 400: no invocation in flight has this id.
    pub fn invalid_request_id() -> Self {
        Self::error(400, "InvalidRequestID", "Invalid request ID")
    }

    /// 410: the invocation timed out (or the answer echoes another attempt's invocation id);
    /// rapid's `RenderInvokeTimeout`. The answer is not given to anyone.
    pub fn invoke_timeout() -> Self {
        Self::error(410, "InvokeTimeout", "Invoke timeout")
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
/// One at a time by default, as rapid models Lambda: a second answer is 403
/// `InvalidStateTransition`, an answer to another id 400 `InvalidRequestID`. With a concurrency
/// above 1 (Lambda Managed Instances, `AWS_LAMBDA_MAX_CONCURRENCY`), several are in flight,
/// each answered once on its own id, as the Managed Instances rapid routes them: an answer to
/// an id not running (a second answer included) is 400 `InvalidRequestID`.
///
/// Each invocation handed out carries an invocation id (`Lambda-Runtime-Invocation-Id`), a
/// nonce of that attempt; an answer that echoes another is 410 `InvokeTimeout` and changes
/// nothing, so that a late answer of a timed-out attempt never answers a retry that reuses its
/// request id. An invocation that timed out ([`Environment::time_out`]) answers its first late
/// answer 410 too.
#[derive(Clone, Debug)]
pub struct Environment {
    concurrency: usize,
    /// Whether `/next` ever handed out an invocation (before that, rapid's state is Started).
    started: bool,
    /// Whether the runtime ever asked for `/next`: it left init (rapid's state became Ready).
    asked_next: bool,
    /// Request ids in flight, oldest first, and beside each its invocation id.
    in_flight: Vec<String>,
    invocation_ids: Vec<String>,
    /// Invocations that timed out, the oldest first: a late answer to one is 410, once.
    timed_out: VecDeque<String>,
}

/// How many timed-out invocations are remembered: Managed Instances' rapid's
/// `timeoutCacheSize` (`invoke/timeout/timeout_cache.go`).
pub const TIMED_OUT_REMEMBERED: usize = 1000;

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
            asked_next: false,
            in_flight: Vec::new(),
            invocation_ids: Vec::new(),
            timed_out: VecDeque::new(),
        }
    }

    /// How many invocations may be in flight at once.
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Whether another invocation may be handed out: fewer than [`Environment::concurrency`]
    /// are in flight.
    pub fn has_room(&self) -> bool {
        self.in_flight.len() < self.concurrency
    }

    /// `GET /next` handed out the invocation `request_id`, as the attempt `invocation_id`
    /// (empty when `/next` sent none). With a concurrency of 1 it replaces the one in flight, as rapid's transition to Ready
    /// does.
    pub fn handed_out(&mut self, request_id: &str, invocation_id: &str) {
        self.started = true;
        if self.concurrency == 1 {
            self.in_flight.clear();
            self.invocation_ids.clear();
        }
        self.in_flight.push(request_id.to_owned());
        self.invocation_ids.push(invocation_id.to_owned());
    }

    /// The runtime asked for `GET /next`: its init is over, as rapid's transition from
    /// Started to Ready says, whether or not an invocation is handed out yet.
    pub fn next_requested(&mut self) {
        self.asked_next = true;
    }

    /// `POST /runtime/init/error`: taken (202) while the runtime is in init, refused (403)
    /// once it asked for `/next` (see [`Reply::init_error_refused`]; a runtime past init
    /// reports a failure on `/invocation/{id}/error`).
    pub fn init_error(&self) -> Reply {
        if !self.asked_next && !self.started {
            return Reply::accepted();
        }
        // rapid names the runtime's state; a runtime that asked for `/next` and has not
        // answered since is Ready, the state our runtimes could call this from.
        Reply::init_error_refused(READY)
    }

    /// The invocations in flight, oldest first.
    pub fn in_flight(&self) -> &[String] {
        &self.in_flight
    }

    /// Whether `request_id` is in flight.
    pub fn is_in_flight(&self, request_id: &str) -> bool {
        self.position(request_id).is_some()
    }

    fn position(&self, request_id: &str) -> Option<usize> {
        self.in_flight.iter().position(|id| id == request_id)
    }

    /// Closes an invocation in flight without an answer (the runtime is being replaced): later
    /// answers to it are refused. False when it was not in flight.
    pub fn close(&mut self, request_id: &str) -> bool {
        let Some(index) = self.position(request_id) else {
            return false;
        };
        self.in_flight.remove(index);
        self.invocation_ids.remove(index);
        true
    }

    /// Closes an invocation in flight whose deadline passed: its first late answer is 410
    /// `InvokeTimeout`. False when it was not in flight.
    pub fn time_out(&mut self, request_id: &str) -> bool {
        if !self.close(request_id) {
            return false;
        }
        if self.timed_out.len() == TIMED_OUT_REMEMBERED {
            self.timed_out.pop_front();
        }
        self.timed_out.push_back(request_id.to_owned());
        true
    }

    /// An answer of `len` bytes to `request_id`, echoing the invocation id `echoed` (if any),
    /// arrived: the verdict and the reply.
    pub fn answer(
        &mut self,
        request_id: &str,
        echoed: Option<&str>,
        answer: Answer,
        len: usize,
    ) -> (Verdict, Reply) {
        self.answer_within(request_id, echoed, answer, len, MAX_RESPONSE)
    }

    /// A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`) of `len`
    /// bytes so far to `request_id`: as [`Environment::answer`], with the limit of a streamed
    /// response, [`MAX_STREAMED_RESPONSE`]. An emulator that passes the stream on as it
    /// arrives asks with `len` 0 when it begins.
    pub fn answer_streamed(
        &mut self,
        request_id: &str,
        echoed: Option<&str>,
        len: usize,
    ) -> (Verdict, Reply) {
        self.answer_within(
            request_id,
            echoed,
            Answer::Response,
            len,
            MAX_STREAMED_RESPONSE,
        )
    }

    fn answer_within(
        &mut self,
        request_id: &str,
        echoed: Option<&str>,
        answer: Answer,
        len: usize,
        limit: usize,
    ) -> (Verdict, Reply) {
        if let Some(refused) = self.admit(request_id, echoed, answer) {
            return (Verdict::Refused, refused);
        }
        self.close(request_id);
        if answer == Answer::Response && len > limit {
            return (Verdict::TooLarge, Reply::request_entity_too_large());
        }
        (Verdict::Accepted, Reply::accepted())
    }

    /// A response to `request_id` in a mode [`ResponseMode::of`] refuses. rapid checks the
    /// invocation first: one not in flight is refused as any answer would be; otherwise the
    /// runtime gets 400 `InvalidFunctionResponseMode`, and the invocation is closed with
    /// `Runtime.InvalidResponseModeHeader` for its caller.
    pub fn answer_in_unknown_mode(
        &mut self,
        request_id: &str,
        echoed: Option<&str>,
    ) -> (Verdict, Reply) {
        match self.admit(request_id, echoed, Answer::Response) {
            // An id not in flight while another is: the mode's 400 all the same.
            Some(refused) if refused.status == 400 => {
                (Verdict::Refused, Reply::invalid_function_response_mode())
            }
            Some(refused) => (Verdict::Refused, refused),
            None => {
                self.close(request_id);
                (
                    Verdict::InvalidResponseMode,
                    Reply::invalid_function_response_mode(),
                )
            }
        }
    }

    /// Whether an answer reaches an invocation in flight: `None` when it does, else rapid's
    /// refusal, in rapid's order.
    fn admit(&mut self, request_id: &str, echoed: Option<&str>, answer: Answer) -> Option<Reply> {
        let Some(index) = self.position(request_id) else {
            return Some(self.refusal(request_id, answer));
        };
        // An answer that echoes no invocation id is taken, as rapid takes it (runtimes from
        // before 2026 send none), and so is any answer to an invocation handed out without one.
        let expected = &self.invocation_ids[index];
        match echoed {
            Some(echoed) if !expected.is_empty() && echoed != expected => {
                Some(Reply::invoke_timeout())
            }
            _ => None,
        }
    }

    /// rapid's reply to an answer for an invocation that is not in flight.
    fn refusal(&mut self, request_id: &str, answer: Answer) -> Reply {
        if let Some(index) = self.timed_out.iter().position(|id| id == request_id) {
            self.timed_out.remove(index);
            return Reply::invoke_timeout();
        }
        if self.concurrency > 1 || !self.in_flight.is_empty() {
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
    /// 410: the invocation timed out before the answer arrived (or the answer echoed another
    /// attempt's invocation id); it went to no one. Serve the next one.
    TimedOut,
    /// 400 or 403 (any other 4xx): this invocation is closed (already answered, or unknown);
    /// serve the next one.
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
            410 => AnswerStatus::TimedOut,
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

    /// Hands out `request_id` as the attempt `{request_id}-attempt`.
    fn hand_out(env: &mut Environment, request_id: &str) {
        env.handed_out(request_id, &format!("{request_id}-attempt"));
    }

    #[test]
    fn an_invocation_is_answered_once() {
        let mut env = Environment::default();
        hand_out(&mut env, "a");
        assert_eq!(
            env.answer("a", None, Answer::Response, 2).0,
            Verdict::Accepted
        );
        let (verdict, reply) = env.answer("a", None, Answer::Response, 2);
        assert_eq!(verdict, Verdict::Refused);
        assert_eq!(reply.status, 403);
        assert_eq!(
            reply.body,
            r#"{"errorMessage":"State transition from RuntimeResponseSentState to InvocationResponse failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}"#
        );
        assert_eq!(env.answer("a", None, Answer::Error, 2).1.status, 403);
    }

    #[test]
    fn before_the_first_invocation_an_answer_is_refused_from_started() {
        let mut env = Environment::default();
        let reply = env.answer("a", None, Answer::Error, 2).1;
        assert_eq!(reply.status, 403);
        assert!(
            reply
                .body
                .contains("from Started to InvocationErrorResponse"),
            "{}",
            reply.body
        );
    }

    #[test]
    fn an_init_error_is_taken_only_during_init() {
        let mut env = Environment::default();
        assert_eq!(env.init_error(), Reply::accepted());
        env.next_requested();
        let refused = env.init_error();
        assert_eq!(
            (refused.status, refused.body.as_str()),
            (
                403,
                r#"{"errorMessage":"State transition from Ready to InitError failed for runtime. Error: State transition is not allowed","errorType":"InvalidStateTransition"}"#
            )
        );
        let mut env = Environment::default();
        hand_out(&mut env, "a");
        assert_eq!(env.init_error().status, 403);
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
        hand_out(&mut env, "a");
        let (verdict, reply) = env.answer_in_unknown_mode("a", None);
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
        assert_eq!(env.answer("a", None, Answer::Response, 2).1.status, 403);
        assert_eq!(env.answer_in_unknown_mode("a", None).1.status, 403);
        // An id not in flight while another is: still the mode's 400, and nothing closes.
        hand_out(&mut env, "b");
        let (verdict, reply) = env.answer_in_unknown_mode("c", None);
        assert_eq!((verdict, reply.status), (Verdict::Refused, 400));
        assert!(reply.body.contains("InvalidFunctionResponseMode"));
        assert_eq!(env.in_flight(), ["b"]);
        // Another attempt's echo: 410, and the invocation stays in flight.
        let (verdict, reply) = env.answer_in_unknown_mode("b", Some("stale"));
        assert_eq!(
            (verdict, reply),
            (Verdict::Refused, Reply::invoke_timeout())
        );
        assert_eq!(env.in_flight(), ["b"]);
    }

    #[test]
    fn another_id_is_an_invalid_request_id_and_changes_nothing() {
        let mut env = Environment::default();
        hand_out(&mut env, "a");
        let (verdict, reply) = env.answer("b", None, Answer::Response, 2);
        assert_eq!(
            (verdict, reply),
            (Verdict::Refused, Reply::invalid_request_id())
        );
        assert_eq!(
            Reply::invalid_request_id().body,
            r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#
        );
        assert_eq!(env.in_flight(), ["a"]);
        assert!(env.is_in_flight("a") && !env.is_in_flight("b"));
        assert_eq!(env.answer("a", None, Answer::Error, 2).0, Verdict::Accepted);
        assert!(!env.is_in_flight("a"));
    }

    #[test]
    fn a_response_over_the_limit_closes_the_invocation() {
        let mut env = Environment::default();
        hand_out(&mut env, "a");
        let (verdict, reply) = env.answer("a", None, Answer::Response, MAX_RESPONSE + 1);
        assert_eq!((verdict, reply.status), (Verdict::TooLarge, 413));
        assert_eq!(
            reply.body,
            r#"{"errorMessage":"Exceeded maximum allowed payload size (6291556 bytes).","errorType":"RequestEntityTooLarge"}"#
        );
        // The follow-up error report is refused: rapid already answered the caller.
        assert_eq!(env.answer("a", None, Answer::Error, 100).1.status, 403);
        hand_out(&mut env, "b");
        assert_eq!(
            env.answer("b", None, Answer::Response, MAX_RESPONSE).0,
            Verdict::Accepted
        );
        // An error report has no such limit here (rapid reads it whole, or refuses it 413 in
        // the handler before the model sees it).
        hand_out(&mut env, "c");
        assert_eq!(
            env.answer("c", None, Answer::Error, MAX_RESPONSE + 1).0,
            Verdict::Accepted
        );
    }

    #[test]
    fn concurrent_invocations_are_each_answered_once() {
        let mut env = Environment::with_concurrency(3);
        assert_eq!(env.concurrency(), 3);
        for id in ["a", "b", "c"] {
            assert!(env.has_room());
            hand_out(&mut env, id);
        }
        assert!(!env.has_room(), "three in flight fill a concurrency of 3");
        assert_eq!(
            env.answer("b", None, Answer::Response, 2).0,
            Verdict::Accepted
        );
        assert!(env.has_room());
        // Managed Instances' rapid routes by the running invocations: a second answer and an
        // id never handed out are both 400 `InvalidRequestID` (`invoke_router.go`).
        assert_eq!(
            env.answer("b", None, Answer::Response, 2).1,
            Reply::invalid_request_id()
        );
        assert_eq!(
            env.answer("z", None, Answer::Response, 2).1,
            Reply::invalid_request_id()
        );
        assert_eq!(env.in_flight(), ["a", "c"]);
        assert!(env.close("a"));
        assert!(!env.close("a"));
        assert_eq!(env.answer("a", None, Answer::Error, 2).1.status, 400);
        assert_eq!(env.answer("c", None, Answer::Error, 2).0, Verdict::Accepted);
        assert!(env.in_flight().is_empty());
    }

    #[test]
    fn a_concurrency_is_at_least_one() {
        let mut env = Environment::with_concurrency(0);
        assert_eq!(env.concurrency(), 1);
        hand_out(&mut env, "a");
        assert!(!env.has_room());
        // One at a time: the next `/next` abandons the one in flight.
        hand_out(&mut env, "b");
        assert_eq!(env.in_flight(), ["b"]);
        assert_eq!(Environment::default().concurrency(), 1);
    }

    #[test]
    fn an_answer_echoing_another_attempt_is_refused_410_and_changes_nothing() {
        for concurrency in [1, 4] {
            let mut env = Environment::with_concurrency(concurrency);
            hand_out(&mut env, "a");
            let (verdict, reply) = env.answer("a", Some("b-attempt"), Answer::Response, 2);
            assert_eq!((verdict, reply.status), (Verdict::Refused, 410));
            assert_eq!(
                reply.body,
                r#"{"errorMessage":"Invoke timeout","errorType":"InvokeTimeout"}"#
            );
            let (verdict, reply) = env.answer("a", Some("b-attempt"), Answer::Error, 2);
            assert_eq!((verdict, reply.status), (Verdict::Refused, 410));
            assert_eq!(env.answer_streamed("a", Some("x"), 0).1.status, 410);
            assert_eq!(
                env.in_flight(),
                ["a"],
                "the invocation waits for its own answer"
            );
            // Its own echo, or none (a runtime from before 2026), is taken.
            let echoed = if concurrency == 1 {
                Some("a-attempt")
            } else {
                None
            };
            assert_eq!(
                env.answer("a", echoed, Answer::Response, 2).0,
                Verdict::Accepted
            );
            // An invocation handed out with no invocation id takes any echo.
            env.handed_out("b", "");
            assert_eq!(
                env.answer("b", Some("x"), Answer::Error, 2).0,
                Verdict::Accepted
            );
        }
    }

    #[test]
    fn a_late_answer_to_a_timed_out_invocation_is_refused_410_once() {
        for (concurrency, after) in [(1, 403), (4, 400)] {
            let mut env = Environment::with_concurrency(concurrency);
            hand_out(&mut env, "a");
            assert!(env.time_out("a"));
            assert!(!env.time_out("a"), "no longer in flight");
            assert!(env.in_flight().is_empty());
            let (verdict, reply) = env.answer("a", Some("a-attempt"), Answer::Response, 2);
            assert_eq!(
                (verdict, reply),
                (Verdict::Refused, Reply::invoke_timeout())
            );
            // Consumed: the next one is refused as any answer to a closed invocation.
            assert_eq!(env.answer("a", None, Answer::Error, 2).1.status, after);
        }
    }

    #[test]
    fn the_last_thousand_timed_out_invocations_are_remembered() {
        let mut env = Environment::with_concurrency(2);
        for i in 0..=TIMED_OUT_REMEMBERED {
            let id = i.to_string();
            hand_out(&mut env, &id);
            assert!(env.time_out(&id));
        }
        // The oldest was forgotten; the rest each get their 410.
        assert_eq!(env.answer("0", None, Answer::Response, 2).1.status, 400);
        assert_eq!(env.answer("1", None, Answer::Response, 2).1.status, 410);
        let last = TIMED_OUT_REMEMBERED.to_string();
        assert_eq!(env.answer(&last, None, Answer::Response, 2).1.status, 410);
    }

    #[test]
    fn a_streamed_response_has_the_streaming_limit() {
        let mut env = Environment::default();
        hand_out(&mut env, "a");
        assert_eq!(
            env.answer_streamed("a", None, 50 << 20).0,
            Verdict::Accepted
        );
        hand_out(&mut env, "b");
        assert_eq!(
            env.answer_streamed("b", None, MAX_STREAMED_RESPONSE).0,
            Verdict::Accepted
        );
        hand_out(&mut env, "c");
        let (verdict, reply) = env.answer_streamed("c", None, MAX_STREAMED_RESPONSE + 1);
        assert_eq!((verdict, reply.status), (Verdict::TooLarge, 413));
        assert_eq!(reply, Reply::request_entity_too_large());
        assert!(!env.is_in_flight("c"));
    }

    #[test]
    fn replies_have_rapids_bodies() {
        assert_eq!(
            Reply::accepted(),
            Reply {
                status: 202,
                body: r#"{"status":"OK"}"#.to_owned()
            }
        );
        assert_eq!(
            Reply::internal_server_error().body,
            r#"{"errorMessage":"Internal Server Error","errorType":"InternalServerError"}"#
        );
        assert_eq!(Reply::internal_server_error().status, 500);
        assert_eq!(
            Reply::truncated_http_request(),
            Reply {
                status: 400,
                body: r#"{"errorMessage":"HTTP request detected as truncated","errorType":"TruncatedHTTPRequest"}"#.to_owned()
            }
        );
        assert!(
            Reply::invalid_state_transition("Started", Answer::Response)
                .body
                .contains("from Started to InvocationResponse failed")
        );
    }

    #[test]
    fn statuses_mean_what_the_openapi_spec_says() {
        assert_eq!(AnswerStatus::of(202), AnswerStatus::Accepted);
        assert_eq!(AnswerStatus::of(200), AnswerStatus::Accepted);
        assert_eq!(AnswerStatus::of(299), AnswerStatus::Accepted);
        assert_eq!(AnswerStatus::of(400), AnswerStatus::Closed);
        assert_eq!(AnswerStatus::of(403), AnswerStatus::Closed);
        assert_eq!(AnswerStatus::of(499), AnswerStatus::Closed);
        assert_eq!(AnswerStatus::of(410), AnswerStatus::TimedOut);
        assert_eq!(AnswerStatus::of(413), AnswerStatus::TooLarge);
        assert_eq!(AnswerStatus::of(500), AnswerStatus::Fatal);
        assert_eq!(AnswerStatus::of(502), AnswerStatus::Unexpected);
        assert_eq!(AnswerStatus::of(301), AnswerStatus::Unexpected);
        assert_eq!(AnswerStatus::of(199), AnswerStatus::Unexpected);
        assert_eq!(NextStatus::of(200), NextStatus::Event);
        assert_eq!(NextStatus::of(204), NextStatus::Idle);
        assert_eq!(NextStatus::of(403), NextStatus::Fatal);
        assert_eq!(NextStatus::of(500), NextStatus::Fatal);
        assert_eq!(NextStatus::of(202), NextStatus::Fatal);
    }
}
