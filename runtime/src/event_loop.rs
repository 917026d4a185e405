//! The invocation loop against the Lambda Runtime API: next, invoke, respond, forever.

use std::future::Future;
use std::task::Poll;
use std::time::Duration;

use lambda_handler_protocol::env::HANDLER;
use lambda_handler_protocol::error_types::{
    RESPONSE_SIZE_TOO_LARGE, RUNTIME_EVENT_TOO_LARGE, RUNTIME_RESPONSE_LOST,
};
use lambda_handler_protocol::limits::{MAX_EVENT, MAX_RESPONSE, SHUTDOWN_BUDGET};
use lambda_handler_protocol::rapid::{AnswerStatus, NextStatus};

use crate::client::{Client, ClientError, Reply};
use crate::context::Context;
use crate::error::InvocationError;
use crate::headers;
use crate::invoke::invoke;
use crate::log::log;
use crate::payload::StreamedBody;
use crate::payload::{BufferReturn, Payload};
use crate::registry::{self, BuiltState, Handler, HandlerChoice, Output, State};
use crate::trace_env::TraceEnv;

/// How often `/next` is tried before the process gives up on an unreachable Runtime API
/// (with backoff, about 3.4 s in all).
const NEXT_ATTEMPTS: u32 = 6;

/// How often an answer is posted before it is given up as lost.
const POST_ATTEMPTS: u32 = 3;

/// The longest pause between two `/next` calls that an emulator answered with 204.
const MAX_IDLE_DELAY: Duration = Duration::from_millis(100);

/// How long a retry waits for hyper to hand back the response body of a failed exchange.
const BODY_RETURN_WAIT: Duration = Duration::from_millis(200);

/// Serves invocations one at a time; runs inside a `LocalSet`.
pub(crate) async fn serve_endpoint(endpoint: &std::ffi::OsStr) -> i32 {
    crate::heap::keep_freed_memory();
    let Some(mut client) = client(endpoint) else {
        return 1;
    };
    let serving = tokio::task::spawn_local(async move { serve(&mut client).await });
    serving.await.unwrap_or_else(|e| {
        log!(Error, "the invocation loop failed: {e}");
        1
    })
}

pub(crate) fn client(endpoint: &std::ffi::OsStr) -> Option<Client> {
    let Some(endpoint) = endpoint.to_str() else {
        log!(Error, "AWS_LAMBDA_RUNTIME_API is not UTF-8");
        return None;
    };
    Client::new(endpoint)
        .inspect_err(|message| log!(Error, "{message}"))
        .ok()
}

/// Reports a start-up failure that happened before the loop could start, on a runtime of its
/// own: call it from a thread that is not inside another tokio runtime.
pub(crate) fn report_init_error(endpoint: &std::ffi::OsStr, error: &InvocationError) {
    let (Some(runtime), Some(mut client)) = (crate::invoke::async_runtime(), client(endpoint))
    else {
        return;
    };
    tokio::task::LocalSet::new().block_on(&runtime, async {
        init_failed(&mut client, error, &mut Vec::new()).await
    });
}

/// The buffers one invocation uses, kept from one to the next.
#[derive(Default)]
struct Buffers {
    /// The event, as `/next` delivered it; then the response body the handler wrote.
    body: Vec<u8>,
    /// The Runtime API's reply to an answer (read for its error message).
    reply: Vec<u8>,
    /// Where `body` comes back once hyper has sent it.
    returned: BufferReturn,
}

async fn serve(client: &mut Client) -> i32 {
    match prepare(client).await {
        Ok((handler, state)) => serve_invocations(client, handler, state.get()).await,
        Err(code) => code,
    }
}

/// Lambda's init phase: the handler `_HANDLER` chooses, and the state its `init` builds, once,
/// before the first `/next`. A failure is reported as the init error: `Err` is the exit code.
pub(crate) async fn prepare(client: &mut Client) -> Result<(&'static Handler, BuiltState), i32> {
    let configured = std::env::var(HANDLER).ok();
    let mut reply = Vec::new();
    let handler = match registry::select(HandlerChoice::Configured(configured.as_deref())) {
        Ok(handler) => handler,
        Err(error) => return Err(init_failed(client, &error, &mut reply).await),
    };
    match handler.build_state().await {
        Ok(state) => Ok((handler, state)),
        Err(error) => Err(init_failed(client, &error, &mut reply).await),
    }
}

/// The invocation loop, one invocation at a time, until the Runtime API fails for good or
/// SIGTERM ends it (with a shutdown hook); returns the exit code.
pub(crate) async fn serve_invocations(
    client: &mut Client,
    handler: &'static Handler,
    state: &State,
) -> i32 {
    let mut kept = LoopState::new(TraceEnv::from_environment());
    // Only a handler with a shutdown hook listens for SIGTERM; others keep the default (the
    // process ends at once), and the loop pays nothing for it.
    let mut terminate = handler.shutdown.and_then(|_| termination());
    loop {
        let next = kept.next(client);
        let next = match &mut terminate {
            None => next.await,
            // Waiting for an invocation: Lambda sends SIGTERM when it ends the environment.
            // One that arrives during an invocation is taken once it is answered.
            Some(signal) => match first(signal.recv(), next).await {
                First::A(_) => return shut_down(handler, state).await,
                First::B(next) => next,
            },
        };
        let invocation = match next {
            Ok(invocation) => invocation,
            Err(failure) => {
                log!(Error, "{}; exiting", failure.message());
                return 1;
            }
        };
        if let Err(message) = kept.serve(client, (handler, state), &invocation).await {
            log!(Error, "{message}; exiting");
            return 1;
        }
    }
}

/// SIGTERM, as a stream of deliveries; `None` where it cannot be listened for.
#[cfg(unix)]
pub(crate) fn termination() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .inspect_err(|e| {
            log!(
                Warn,
                "cannot listen for SIGTERM, so no shutdown hook runs: {e}"
            )
        })
        .ok()
}

#[cfg(not(unix))]
pub(crate) fn termination() -> Option<NeverSignal> {
    None
}

/// Stands in for a signal where there is none to listen for.
#[cfg(not(unix))]
pub(crate) struct NeverSignal;

#[cfg(not(unix))]
impl NeverSignal {
    pub(crate) async fn recv(&mut self) -> Option<()> {
        std::future::pending().await
    }
}

/// Runs the handler's shutdown hook within Lambda's budget; the process then exits 0.
pub(crate) async fn shut_down(handler: &Handler, state: &State) -> i32 {
    let Some(hook) = handler.shutdown else {
        return 0;
    };
    log!(Info, "SIGTERM: running the shutdown hook");
    let hook = crate::unwind::catch_panics(Box::pin(async {
        hook(state).await;
        Ok(())
    }));
    match tokio::time::timeout(SHUTDOWN_BUDGET, hook).await {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => log!(Error, "the shutdown hook failed: {panic}"),
        Err(_) => log!(
            Warn,
            "the shutdown hook ran past Lambda's {} ms; exiting without it",
            SHUTDOWN_BUDGET.as_millis()
        ),
    }
    0
}

/// Which of two futures finished first.
pub(crate) enum First<A, B> {
    A(A),
    B(B),
}

/// Polls `a` and then `b` until one finishes.
pub(crate) async fn first<A: Future, B: Future>(a: A, b: B) -> First<A::Output, B::Output> {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = a.as_mut().poll(cx) {
            return Poll::Ready(First::A(done));
        }
        b.as_mut().poll(cx).map(First::B)
    })
    .await
}

/// Reports a start-up failure as Lambda expects, then gives the exit code.
async fn init_failed(client: &mut Client, error: &InvocationError, reply: &mut Vec<u8>) -> i32 {
    log!(Error, "{error}");
    let payload = Payload::once(error.to_json());
    if let Err(e) = client
        .report_error(None, payload, &error.header_value(), reply)
        .await
    {
        log!(Warn, "could not report the init error: {e}");
    }
    1
}

/// Why `/next` gave no event.
pub(crate) enum NextFailure {
    /// Lambda says the environment is finished (403, 500): what it said.
    Finished(String),
    /// The Runtime API could not be reached, [`NEXT_ATTEMPTS`] times over.
    Unreachable(String),
}

impl NextFailure {
    pub(crate) fn message(&self) -> &str {
        match self {
            NextFailure::Finished(message) | NextFailure::Unreachable(message) => message,
        }
    }
}

/// `GET /next` until it yields an event. A 204 (an emulator with nothing queued) asks again,
/// backing off so an idle emulator is not polled hot; a transport failure is retried with
/// backoff a few times; any other status is what Lambda calls non-recoverable.
async fn next(client: &mut Client, event: &mut Vec<u8>) -> Result<Reply, NextFailure> {
    let mut failures = 0;
    let mut retry_delay = Duration::from_millis(10);
    let mut idle_delay = Duration::from_millis(1);
    loop {
        match client.next(event).await {
            Ok(reply) => match NextStatus::of(reply.status.as_u16()) {
                NextStatus::Event => return Ok(reply),
                NextStatus::Idle => {
                    tokio::time::sleep(idle_delay).await;
                    idle_delay = (idle_delay * 2).min(MAX_IDLE_DELAY);
                }
                NextStatus::Fatal => {
                    return Err(NextFailure::Finished(format!(
                        "the Runtime API answered /next with {}: {} (non-recoverable)",
                        reply.status,
                        String::from_utf8_lossy(event)
                    )));
                }
            },
            Err(e) => {
                failures += 1;
                let failure = format!("the Runtime API failed on /next: {e}");
                if failures >= NEXT_ATTEMPTS {
                    return Err(NextFailure::Unreachable(format!(
                        "{failure}, {failures} times"
                    )));
                }
                log!(Warn, "{failure}; retrying in {retry_delay:?}");
                tokio::time::sleep(retry_delay).await;
                retry_delay *= 4;
            }
        }
    }
}

/// What an invocation loop reuses from one invocation to the next: the context it refills, the
/// trace-id variable it rewrites, and its buffers.
pub(crate) struct LoopState {
    ctx: Context,
    trace_env: TraceEnv,
    buffers: Buffers,
}

impl LoopState {
    pub(crate) fn new(trace_env: TraceEnv) -> Self {
        LoopState {
            ctx: Context::from_environment(),
            trace_env,
            buffers: Buffers::default(),
        }
    }

    /// `GET /next`, the event read into this loop's buffer.
    pub(crate) async fn next(&mut self, client: &mut Client) -> Result<Reply, NextFailure> {
        next(client, &mut self.buffers.body).await
    }

    /// Invokes the handler on the event `next` delivered and posts its response or error.
    /// An error is returned only when the Runtime API answers in a way Lambda calls
    /// non-recoverable (500).
    pub(crate) async fn serve(
        &mut self,
        client: &mut Client,
        handler: (&Handler, &State),
        invocation: &Reply,
    ) -> Result<(), String> {
        let LoopState {
            ctx,
            trace_env,
            buffers,
        } = self;
        serve_one(client, handler, ctx, trace_env, buffers, invocation).await
    }
}

async fn serve_one(
    client: &mut Client,
    (handler, state): (&Handler, &State),
    ctx: &mut Context,
    trace_env: &mut TraceEnv,
    buffers: &mut Buffers,
    invocation: &Reply,
) -> Result<(), String> {
    let Some(request_id) = plausible_request_id(invocation) else {
        // Without a usable id there is no URL to answer on; Lambda times the invocation out.
        log!(
            Warn,
            "an invocation has no usable Lambda-Runtime-Aws-Request-Id \
             (ids are UUIDs: letters, digits and dashes); it is not answered"
        );
        return Ok(());
    };
    crate::log::set_request_id(request_id);
    ctx.begin_invocation(request_id, &invocation.headers);
    let outcome = if invocation.over_limit {
        Err(InvocationError::new(
            RUNTIME_EVENT_TOO_LARGE,
            format!("the event is over the {MAX_EVENT} bytes the runtime reads"),
        ))
    } else {
        trace_env.set(ctx.xray_trace_id.as_deref());
        invoke(handler, &mut buffers.body, ctx, state).await
    };
    let outcome = match outcome {
        Ok(Output::Buffered) => check_size(buffers.body.len()),
        Ok(Output::Streamed(streaming)) => {
            return deliver_streamed(client, request_id, streaming, &mut buffers.reply).await;
        }
        Err(error) => Err(error),
    };
    let error = match outcome {
        Ok(()) => match deliver(client, request_id, Answer::Response, buffers).await {
            // Lambda has closed the invocation and told the caller; the error below is posted
            // for a Runtime API that has not (Lambda refuses it with 403).
            Delivery::Status(AnswerStatus::TooLarge, _) => {
                log!(
                    Warn,
                    "the Runtime API refused the response to {request_id} as too large (413)"
                );
                response_too_large()
            }
            Delivery::NotSent => InvocationError::new(
                RUNTIME_RESPONSE_LOST,
                "the connection failed while the response was sent, and the response could not \
                 be sent again",
            ),
            other => return other.into_result(request_id, "response"),
        },
        Err(error) => error,
    };
    log!(Error, "invocation {request_id} failed: {error}");
    deliver(client, request_id, Answer::Error(&error), buffers)
        .await
        .into_result(request_id, "error")
}

/// Streams a response to the Runtime API as the handler's stream yields it. It is not
/// retried: a stream cannot be replayed, and its first chunks may already be with the caller.
async fn deliver_streamed(
    client: &mut Client,
    request_id: &str,
    streaming: crate::Streaming,
    reply: &mut Vec<u8>,
) -> Result<(), String> {
    let (body, content_type) = StreamedBody::new(streaming, request_id);
    let delivery = match client
        .respond_streamed(request_id, Payload::Streamed(body), content_type, reply)
        .await
    {
        Ok(replied) => Delivery::of(&replied, reply),
        Err(e) => Delivery::Lost(e),
    };
    delivery.into_result(request_id, "streamed response")
}

/// A response within Lambda's limit, or the error Lambda's caller gets for one over it.
pub(crate) fn check_size(len: usize) -> Result<(), InvocationError> {
    if len <= MAX_RESPONSE {
        Ok(())
    } else {
        Err(response_too_large())
    }
}

fn response_too_large() -> InvocationError {
    InvocationError::new(
        RESPONSE_SIZE_TOO_LARGE,
        lambda_handler_protocol::error_types::response_size_too_large_message(),
    )
}

enum Answer<'a> {
    /// The response body in `Buffers::body`.
    Response,
    Error(&'a InvocationError),
}

/// What became of an answer.
enum Delivery {
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
    fn of(reply: &Reply, body: &[u8]) -> Self {
        let status = AnswerStatus::of(reply.status.as_u16());
        let body = match status {
            AnswerStatus::Accepted => String::new(),
            _ => String::from_utf8_lossy(body).into_owned(),
        };
        Delivery::Status(status, body)
    }

    fn into_result(self, request_id: &str, what: &str) -> Result<(), String> {
        match self {
            Delivery::Status(AnswerStatus::Accepted, _) => Ok(()),
            Delivery::Status(AnswerStatus::Fatal, body) => Err(format!(
                "the Runtime API answered the {what} to {request_id} with 500: {body} (non-recoverable)"
            )),
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
async fn deliver(
    client: &mut Client,
    request_id: &str,
    answer: Answer<'_>,
    buffers: &mut Buffers,
) -> Delivery {
    let mut attempt = 0;
    let mut response = Some(std::mem::take(&mut buffers.body));
    let delivery = loop {
        attempt += 1;
        let reply = match &answer {
            Answer::Response => {
                let bytes = match response.take() {
                    Some(bytes) => bytes,
                    // A retry: the body hyper was sending comes back once its exchange has
                    // wound down. Never posted empty in its place.
                    None => match buffers.returned.wait(BODY_RETURN_WAIT).await {
                        Some(bytes) => bytes,
                        None => break Delivery::NotSent,
                    },
                };
                client
                    .respond(
                        request_id,
                        buffers.returned.payload(bytes),
                        &mut buffers.reply,
                    )
                    .await
            }
            Answer::Error(error) => {
                let payload = Payload::once(error.to_json());
                client
                    .report_error(
                        Some(request_id),
                        payload,
                        &error.header_value(),
                        &mut buffers.reply,
                    )
                    .await
            }
        };
        match reply {
            Ok(reply) => break Delivery::of(&reply, &buffers.reply),
            Err(e) if attempt >= POST_ATTEMPTS => break Delivery::Lost(e),
            Err(e) => {
                log!(
                    Warn,
                    "posting the answer to {request_id} failed ({e}); retrying"
                );
                tokio::time::sleep(Duration::from_millis(10 * u64::from(attempt))).await;
            }
        }
    };
    // The response buffer, back from hyper, serves the next invocation.
    buffers.body = response
        .or_else(|| buffers.returned.take())
        .unwrap_or_default();
    delivery
}

/// The request id, when it is safe to put into a URL path: Lambda's ids are UUIDs.
fn plausible_request_id(invocation: &Reply) -> Option<&str> {
    let id = invocation.headers.get(headers::REQUEST_ID)?.to_str().ok()?;
    let plausible = !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plausible.then_some(id)
}

#[cfg(test)]
mod tests {
    use hyper::header::HeaderValue;
    use hyper::{HeaderMap, StatusCode};

    use super::plausible_request_id;
    use crate::client::Reply;
    use crate::context::Context;
    use crate::headers;

    fn reply(headers: HeaderMap) -> Reply {
        Reply {
            status: StatusCode::OK,
            headers,
            over_limit: false,
        }
    }

    /// Random header values, as a hostile or broken Runtime API could send them, never panic
    /// the invocation's set-up and never put anything but `[A-Za-z0-9-]` into a URL.
    #[test]
    fn random_headers_degrade_and_never_reach_a_path() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let names = [
            headers::REQUEST_ID,
            headers::DEADLINE_MS,
            headers::FUNCTION_ARN,
            headers::TRACE_ID,
            headers::TENANT_ID,
            headers::COGNITO_IDENTITY,
            headers::CLIENT_CONTEXT,
        ];
        let mut ctx = Context::default();
        let client = crate::client::Client::new("127.0.0.1:9001").unwrap();
        let mut accepted = 0;
        for _ in 0..20_000 {
            let mut map = HeaderMap::new();
            for name in &names {
                if next() % 3 == 0 {
                    continue;
                }
                let len = (next() % 150) as usize;
                // Visible ASCII and obs-text bytes: what a header value can carry.
                let bytes: Vec<u8> = (0..len)
                    .map(|_| match next() % 4 {
                        0 => b"{}[]\":,-/.%0123456789"[(next() % 21) as usize],
                        1 => 0x20 + (next() % 0x5f) as u8,
                        2 => 0x80 + (next() % 0x80) as u8,
                        _ => b'a' + (next() % 26) as u8,
                    })
                    .collect();
                if let Ok(value) = HeaderValue::from_bytes(&bytes) {
                    map.insert(name.clone(), value);
                }
            }
            let invocation = reply(map);
            if let Some(id) = plausible_request_id(&invocation) {
                // An accepted id addresses its own invocation and nothing else: the answer's
                // path is exactly the invocation's, with nothing normalised away or added.
                let uri = client.answer_uri(id, lambda_handler_protocol::paths::Answer::Error);
                assert_eq!(
                    uri.path(),
                    format!("/2018-06-01/runtime/invocation/{id}/error")
                );
                assert!(uri.query().is_none(), "{id:?}");
                assert_eq!(uri.path().split('/').count(), 6, "{id:?}");
                ctx.begin_invocation(id, &invocation.headers);
                assert_eq!(ctx.request_id, id);
                accepted += 1;
            } else {
                ctx.begin_invocation("fallback", &invocation.headers);
            }
            let _ = ctx.remaining_time();
        }
        assert!(accepted > 100, "only {accepted} random ids were plausible");
    }

    #[test]
    fn uuids_are_plausible_and_paths_are_not() {
        let id = |value: &'static str| {
            let mut map = HeaderMap::new();
            map.insert(headers::REQUEST_ID, HeaderValue::from_static(value));
            plausible_request_id(&reply(map)).map(str::to_owned)
        };
        assert_eq!(
            id("8476a536-e9f4-11e8-9739-2dfe598c3fcd").as_deref(),
            Some("8476a536-e9f4-11e8-9739-2dfe598c3fcd")
        );
        for bad in ["", "../init/error", "a b", "id?x=1", "%2e", "a/b"] {
            assert_eq!(id(bad), None, "{bad}");
        }
        assert_eq!(plausible_request_id(&reply(HeaderMap::new())), None);
    }
}
