//! Lambda's Invoke API, `POST /2015-03-31/functions/{name}/invocations`, with its invocation
//! types, payload limits, status codes and error shapes; and `InvokeWithResponseStream`,
//! `POST /2021-11-15/functions/{name}/response-streaming-invocations`, whose reply is the
//! response as an event stream, each chunk as the function streams it.

//!
//! - `request`: what a caller asked: the invocation type, the payload and its limits, the
//!   client context, the tenant, the log's tail.
//! - `reply`: `Invoke`'s reply, once the invocation has ended.
//! - `stream`: `InvokeWithResponseStream`'s reply, as the function streams.

mod reply;
mod request;
mod stream;

use std::sync::Arc;

use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use lambda_handler_protocol::ids;
use lambda_handler_protocol::paths::{INVOKE_PREFIX, INVOKE_SUFFIX, STREAM_PREFIX, STREAM_SUFFIX};
use tokio::sync::oneshot;

use crate::durable;
use crate::environment::Environment;
use crate::environment::outcome::{Invocation, Outcome};
use crate::functions::Functions;
use crate::http::{Reply, aws_error, full, json};
use crate::supervisor;
use request::{InvocationType, InvokeRequest, Operation};

/// `POST /2015-03-31/functions/{name}/invocations` and
/// `POST /2021-11-15/functions/{name}/response-streaming-invocations`.
pub(crate) async fn route(request: Request<Incoming>, functions: Arc<Functions>) -> Reply {
    let path = request.uri().path().to_owned();
    let name = |prefix: &str, suffix: &str| {
        path.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
    };
    let (name, operation) = match (
        name(INVOKE_PREFIX, INVOKE_SUFFIX),
        name(STREAM_PREFIX, STREAM_SUFFIX),
    ) {
        (Some(name), _) => (name, Operation::Invoke),
        (_, Some(name)) => (name, Operation::InvokeWithResponseStream),
        _ => {
            let message = format!("no such resource: {path}");
            return aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message);
        }
    };
    let environment = match functions.named(name).await {
        Ok(Some(environment)) => environment,
        Ok(None) => {
            let message = format!(
                "Function not found: {name} (this emulator serves {})",
                functions.names()
            );
            return aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message);
        }
        Err(message) => {
            return aws_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "ServiceException",
                &message,
            );
        }
    };
    if request.method() != Method::POST {
        return aws_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowedException",
            "invoke with POST",
        );
    }
    match InvokeRequest::read(request, operation).await {
        Ok(invoke) => invoke_function(&functions, environment, invoke).await,
        Err(refused) => refused.reply(),
    }
}

/// Invokes the function as the request asks, and replies as Lambda does for its type.
async fn invoke_function(
    functions: &Functions,
    environment: Arc<Environment>,
    invoke: InvokeRequest,
) -> Reply {
    let id = ids::request_id();
    let invocation = |reply, wants_log| Invocation {
        id: id.clone(),
        payload: invoke.payload.clone(),
        client_context: invoke.client_context.clone(),
        tenant_id: invoke.tenant_id.clone(),
        reply,
        wants_log,
    };
    let service = functions
        .durable()
        .filter(|_| environment.options.durable.is_some());
    if let Some(service) = service
        && invoke.operation == Operation::Invoke
        && invoke.kind != InvocationType::DryRun
        && !durable::is_durable_event(&invoke.payload)
    {
        let reply = start_execution(service, &environment, &invoke).await;
        return reply::with_request_id(reply, &id);
    }
    match invoke.kind {
        InvocationType::DryRun => {
            let mut reply = Response::new(full(Bytes::new()));
            *reply.status_mut() = StatusCode::NO_CONTENT;
            reply
        }
        InvocationType::Event => {
            environment.queue.enqueue(invocation(None, false));
            supervisor::ensure_running(&environment);
            reply::with_request_id(json(StatusCode::ACCEPTED, Bytes::new()), &id)
        }
        InvocationType::RequestResponse => {
            let (reply, outcome) = oneshot::channel();
            environment
                .queue
                .enqueue(invocation(Some(reply), invoke.wants_log));
            supervisor::ensure_running(&environment);
            let reply = match invoke.operation {
                Operation::InvokeWithResponseStream => {
                    stream::stream_reply(environment, id.clone(), outcome)
                }
                Operation::Invoke => reply::reply(&environment, &id, outcome).await,
            };
            reply::with_request_id(reply, &id)
        }
    }
}

/// `Invoke` of a durable function: starts the execution (or finds the one of the same
/// `X-Amz-Durable-Execution-Name`) and names it in `X-Amz-Durable-Execution-Arn`. An `Event`
/// invocation answers at once; a `RequestResponse` one waits for the execution's end, up to
/// Lambda's longest invocation, and answers its result, or its error as a function error
/// ("Synchronous invocations are limited to 15 minutes ... the invocation waits for the entire
/// durable execution to complete": AWS's guide, "Invoking durable Lambda functions"). An
/// execution still running then goes on; the caller is told to follow it by its ARN.
async fn start_execution(
    service: &Arc<durable::Service>,
    environment: &Arc<Environment>,
    invoke: &InvokeRequest,
) -> Reply {
    let start = durable::Start {
        input: &invoke.payload,
        name: invoke.execution_name.as_deref(),
        tenant_id: invoke.tenant_id.clone(),
        parent: None,
    };
    let started = durable::start(service, environment, start);
    let mut reply = match invoke.kind {
        InvocationType::RequestResponse => {
            match started
                .outcome(lambda_handler_protocol::limits::MAX_TIMEOUT)
                .await
            {
                Some(Ok(result)) => reply::reply_to(Outcome::Response(result)),
                Some(Err(error)) => reply::reply_to(Outcome::Error(error)),
                None => aws_error(
                    StatusCode::REQUEST_TIMEOUT,
                    "DurableExecutionStillRunning",
                    "the durable execution is still running; follow it with \
                     get-durable-execution",
                ),
            }
        }
        _ => json(StatusCode::ACCEPTED, Bytes::new()),
    };
    if let Ok(arn) = hyper::header::HeaderValue::from_str(&started.arn) {
        reply
            .headers_mut()
            .insert(lambda_handler_protocol::durable::EXECUTION_ARN_HEADER, arn);
    }
    reply
}
