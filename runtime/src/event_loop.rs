//! The invocation loop against the Lambda Runtime API: next, invoke, respond, forever.

use std::time::Duration;

use hyper::StatusCode;
use hyper::body::Bytes;

use crate::client::{Client, ClientError, Reply};
use crate::config::HANDLER_VAR;
use crate::context::Context;
use crate::error::InvocationError;
use crate::invoke::invoke;
use crate::registry::{self, Handler, Request};

/// Lambda's limit on a synchronous response, in bytes, as its own error message states it.
const MAX_RESPONSE: usize = 6_291_556;

/// How often `/next` is asked again after it failed, before the process gives up.
const NEXT_ATTEMPTS: u32 = 6;

/// Serves invocations until the Runtime API fails for good; returns the exit code.
pub(crate) fn run(endpoint: &std::ffi::OsStr) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lambda-handler: cannot start the async runtime: {e}");
            return 1;
        }
    };
    let Some(endpoint) = endpoint.to_str() else {
        eprintln!("lambda-handler: AWS_LAMBDA_RUNTIME_API is not UTF-8");
        return 1;
    };
    let mut client = match Client::new(endpoint) {
        Ok(client) => client,
        Err(message) => {
            eprintln!("lambda-handler: {message}");
            return 1;
        }
    };
    runtime.block_on(serve(&mut client))
}

async fn serve(client: &mut Client) -> i32 {
    let configured = std::env::var(HANDLER_VAR).ok();
    let handler = match registry::select(Request::Configured(configured.as_deref())) {
        Ok(handler) => handler,
        Err(error) => return init_failed(client, &error).await,
    };
    let mut ctx = Context::from_environment();
    let mut out = Vec::new();
    loop {
        let invocation = match next(client).await {
            Ok(invocation) => invocation,
            Err(message) => {
                eprintln!("lambda-handler: {message}; exiting");
                return 1;
            }
        };
        if let Err(message) = serve_one(client, handler, &mut ctx, &mut out, invocation).await {
            eprintln!("lambda-handler: {message}; exiting");
            return 1;
        }
    }
}

/// Reports a start-up failure as Lambda expects, then gives the exit code.
async fn init_failed(client: &mut Client, error: &InvocationError) -> i32 {
    eprintln!("lambda-handler: {error}");
    let body = Bytes::from(error.to_json());
    if let Err(e) = client.report_error(None, body, &error.header_value()).await {
        eprintln!("lambda-handler: could not report the init error: {e}");
    }
    1
}

/// `GET /next` until it yields an event: a 204 (an emulator with nothing queued) asks again,
/// a failure is retried with backoff a few times, then given up.
async fn next(client: &mut Client) -> Result<Reply, String> {
    let mut failures = 0;
    let mut delay = Duration::from_millis(10);
    loop {
        let failure = match client.next().await {
            Ok(reply) if reply.status == StatusCode::OK => return Ok(reply),
            Ok(reply) if reply.status == StatusCode::NO_CONTENT => {
                failures = 0;
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            }
            Ok(reply) => format!(
                "the Runtime API answered /next with {}: {}",
                reply.status,
                String::from_utf8_lossy(&reply.body)
            ),
            Err(e) => format!("the Runtime API failed on /next: {e}"),
        };
        failures += 1;
        if failures >= NEXT_ATTEMPTS {
            return Err(failure);
        }
        eprintln!("lambda-handler: {failure}; retrying in {delay:?}");
        tokio::time::sleep(delay).await;
        delay *= 4;
    }
}

/// Invokes the handler on one event and posts its response or error. An error is returned
/// only when the Runtime API cannot take the answer, which Lambda calls non-recoverable.
async fn serve_one(
    client: &mut Client,
    handler: &Handler,
    ctx: &mut Context,
    out: &mut Vec<u8>,
    invocation: Reply,
) -> Result<(), String> {
    let Some(request_id) = plausible_request_id(&invocation) else {
        // Without an id there is no URL to answer on; Lambda times the invocation out.
        eprintln!(
            "lambda-handler: an invocation has no usable Lambda-Runtime-Aws-Request-Id; skipped"
        );
        return Ok(());
    };
    ctx.begin_invocation(request_id, &invocation.headers);
    set_trace_id(ctx.xray_trace_id.as_deref());
    let outcome = invoke(handler, &invocation.body, ctx, out).await;
    let mut outcome = outcome.and_then(|()| check_size(out.len()));
    if outcome.is_ok() {
        let body = Bytes::from(std::mem::take(out));
        let reply = client.respond(request_id, body).await;
        match accepted(reply, "response") {
            Ok(()) => return Ok(()),
            Err(Rejected::TooLarge) => outcome = check_size(usize::MAX),
            Err(Rejected::Fatal(message)) => return Err(message),
        }
    }
    let error = outcome.expect_err("successes returned above");
    eprintln!("lambda-handler: invocation {request_id} failed: {error}");
    let reply = client
        .report_error(
            Some(request_id),
            Bytes::from(error.to_json()),
            &error.header_value(),
        )
        .await;
    match accepted(reply, "error") {
        Ok(()) | Err(Rejected::TooLarge) => Ok(()),
        Err(Rejected::Fatal(message)) => Err(message),
    }
}

fn check_size(len: usize) -> Result<(), InvocationError> {
    if len <= MAX_RESPONSE {
        return Ok(());
    }
    Err(InvocationError::new(
        "Function.ResponseSizeTooLarge",
        format!(
            "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes)."
        ),
    ))
}

enum Rejected {
    TooLarge,
    Fatal(String),
}

fn accepted(reply: Result<Reply, ClientError>, what: &str) -> Result<(), Rejected> {
    match reply {
        Ok(reply) if reply.status.is_success() => Ok(()),
        Ok(reply) if reply.status == StatusCode::PAYLOAD_TOO_LARGE => Err(Rejected::TooLarge),
        // 400: the Runtime API refused this answer (already answered, or unknown id); the
        // next invocation is still worth serving.
        Ok(reply) if reply.status == StatusCode::BAD_REQUEST => {
            eprintln!(
                "lambda-handler: the Runtime API refused the {what}: {}",
                String::from_utf8_lossy(&reply.body)
            );
            Ok(())
        }
        Ok(reply) => Err(Rejected::Fatal(format!(
            "the Runtime API answered the {what} with {}: {}",
            reply.status,
            String::from_utf8_lossy(&reply.body)
        ))),
        // The answer may or may not have arrived; sending it twice is worse than not knowing.
        Err(e) => {
            eprintln!("lambda-handler: the {what} may be lost: {e}");
            Ok(())
        }
    }
}

/// The request id, when it is safe to put into a URL path: Lambda's ids are UUIDs.
fn plausible_request_id(invocation: &Reply) -> Option<&str> {
    let id = invocation
        .headers
        .get("lambda-runtime-aws-request-id")?
        .to_str()
        .ok()?;
    let plausible = !id.is_empty()
        && id.len() <= 128
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    plausible.then_some(id)
}

/// Sets `_X_AMZN_TRACE_ID` as the other Lambda runtimes do, for AWS SDKs that read it.
fn set_trace_id(trace_id: Option<&str>) {
    const VAR: &str = "_X_AMZN_TRACE_ID";
    // SAFETY: `set_var` is unsound only while another thread reads or writes the environment.
    // The runtime is single-threaded and this runs between invocations, before the handler is
    // called; the only other threads are ones a handler itself spawned and left running, which
    // should read `ctx.xray_trace_id` instead (documented on `Context::xray_trace_id`).
    unsafe {
        match trace_id {
            Some(id) => std::env::set_var(VAR, id),
            None => std::env::remove_var(VAR),
        }
    }
}
