//! The invocation loop against the Lambda Runtime API: next, invoke, respond, forever.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use lambda_handler_protocol::env::HANDLER;
use lambda_handler_protocol::error_types::{RUNTIME_EVENT_TOO_LARGE, RUNTIME_RESPONSE_LOST};
use lambda_handler_protocol::limits::MAX_EVENT;
use lambda_handler_protocol::rapid::{AnswerStatus, NextStatus};

use crate::handler::context::Context;
use crate::handler::error::InvocationError;
use crate::handler::invoke::invoke;
use crate::handler::registry::{self, BuiltState, Handler, HandlerChoice, Output, State};
use crate::log::log;
use crate::loops::shutdown::{shut_down, shutdown_deadline, termination};
use crate::loops::trace_env::TraceEnv;
use crate::race::{First, first};
use crate::runtime_api::client::{AnswerTo, Client, Reply};
use crate::runtime_api::delivery::{Answer, Buffers, Delivery, deliver, deliver_streamed};
use crate::runtime_api::headers;
use crate::runtime_api::payload::Payload;

/// How often `/next` is tried before the process gives up on an unreachable Runtime API
/// (with backoff, about 3.4 s in all).
const NEXT_ATTEMPTS: u32 = 6;

/// The longest pause between two `/next` calls that an emulator answered with 204.
const MAX_IDLE_DELAY: Duration = Duration::from_millis(100);

/// Serves invocations one at a time; runs inside a `LocalSet`.
pub(crate) async fn serve_endpoint(endpoint: &std::ffi::OsStr) -> i32 {
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
    let (Some(runtime), Some(mut client)) =
        (crate::handler::invoke::async_runtime(), client(endpoint))
    else {
        return;
    };
    tokio::task::LocalSet::new().block_on(&runtime, async {
        init_failed(&mut client, error, &mut Vec::new()).await
    });
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
        // Waiting for an invocation: Lambda sends SIGTERM when it ends the environment. One
        // that arrives while an invocation is read or served is taken once it is answered.
        let stop = std::pin::pin!(async {
            match &mut terminate {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        });
        let invocation = match kept.next(client, stop).await {
            Ok(Some(invocation)) => invocation,
            Ok(None) => return shut_down(handler, state, shutdown_deadline()).await,
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

/// `GET /next` until it yields an event, or `stop` finishes while none is on its way (then
/// `None`). A 204 (an emulator with nothing queued) asks again, backing off so an idle
/// emulator is not polled hot; a transport failure is retried with backoff a few times; any
/// other status is what Lambda calls non-recoverable.
async fn next<S: Future<Output = ()>>(
    client: &mut Client,
    event: &mut Vec<u8>,
    mut stop: Pin<&mut S>,
) -> Result<Option<Reply>, NextFailure> {
    let mut failures = 0;
    let mut retry_delay = Duration::from_millis(10);
    let mut idle_delay = Duration::from_millis(1);
    loop {
        let pause = match client.next(event, stop.as_mut()).await {
            Ok(None) => return Ok(None),
            Ok(Some(reply)) => match NextStatus::of(reply.status.as_u16()) {
                NextStatus::Event => return Ok(Some(reply)),
                NextStatus::Idle => {
                    let pause = idle_delay;
                    idle_delay = (idle_delay * 2).min(MAX_IDLE_DELAY);
                    pause
                }
                NextStatus::Fatal => {
                    // The body may be anything, an event included: only its start, escaped.
                    return Err(NextFailure::Finished(format!(
                        "the Runtime API answered /next with {}: {} (non-recoverable)",
                        reply.status,
                        crate::log::excerpt(event),
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
                let pause = retry_delay;
                retry_delay *= 4;
                pause
            }
        };
        if let First::A(()) = first(stop.as_mut(), tokio::time::sleep(pause)).await {
            return Ok(None);
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

    /// `GET /next`, the event read into this loop's buffer; `None` when `stop` finished while
    /// no invocation was on its way (one whose reply has begun is read whole).
    pub(crate) async fn next<S: Future<Output = ()>>(
        &mut self,
        client: &mut Client,
        stop: Pin<&mut S>,
    ) -> Result<Option<Reply>, NextFailure> {
        next(client, &mut self.buffers.body, stop).await
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
    let to = AnswerTo {
        request_id,
        invocation_id: invocation.headers.get(headers::INVOCATION_ID),
    };
    crate::runtime_api::invocation::begin(ctx, request_id, &invocation.headers);
    crate::log::set_invocation(request_id, ctx.tenant_id.as_deref());
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
        Ok(Output::Buffered) => InvocationError::check_response_size(buffers.body.len()),
        Ok(Output::Streamed(streaming)) => {
            return deliver_streamed(client, to, streaming, &mut buffers.reply).await;
        }
        Err(error) => Err(error),
    };
    let error = match outcome {
        Ok(()) => match deliver(client, to, Answer::Response, buffers).await {
            // Lambda has closed the invocation and told the caller; the error below is posted
            // for a Runtime API that has not (Lambda refuses it with 403).
            Delivery::Status(AnswerStatus::TooLarge, _) => {
                log!(
                    Warn,
                    "the Runtime API refused the response to {request_id} as too large (413)"
                );
                InvocationError::response_too_large()
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
    deliver(client, to, Answer::Error(&error), buffers)
        .await
        .into_result(request_id, "error")
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
    use crate::handler::context::Context;
    use crate::runtime_api::client::Reply;
    use crate::runtime_api::headers;

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
        let client = crate::runtime_api::client::Client::new("127.0.0.1:9001").unwrap();
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
                crate::runtime_api::invocation::begin(&mut ctx, id, &invocation.headers);
                assert_eq!(ctx.request_id, id);
                accepted += 1;
            } else {
                crate::runtime_api::invocation::begin(&mut ctx, "fallback", &invocation.headers);
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
