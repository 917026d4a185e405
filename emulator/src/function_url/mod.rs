//! A local function URL: plain HTTP at `/lambda-url/{function}/{path}` on the Invoke API's
//! port, as cargo-lambda serves it, so that `curl -i` and a browser reach the function as its
//! function URL (`AuthType: NONE`) would. Each request becomes a payload format 2.0 event
//! (`event`), the function runs it in the same invocation loop as any invocation, and its
//! answer becomes the HTTP response (`response`), streamed when the function streams.
//!
//! The function sees the path after the prefix (`/lambda-url/function/orders/7` is
//! `/orders/7`), as a function URL's own host would give it.

mod event;
mod response;

use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, StatusCode};
use lambda_handler_protocol::ids;
use lambda_handler_protocol::limits::MAX_SYNC_PAYLOAD;
use lambda_handler_protocol::paths::FUNCTION_URL_PREFIX;
use tokio::sync::oneshot;

use crate::environment::Environment;
use crate::environment::outcome::Invocation;
use crate::functions::names_this_function;
use crate::http::{Peer, Reply, aws_error};
use crate::supervisor;

/// Whether `path` is the function URL's.
pub(crate) fn is_function_url(path: &str) -> bool {
    path.starts_with(FUNCTION_URL_PREFIX)
}

/// Any method on `/lambda-url/{function}/{path}`: the function's answer as its URL gives it.
pub(crate) async fn route(request: Request<Incoming>, environment: Arc<Environment>) -> Reply {
    let peer = request.extensions().get::<Peer>().map(|peer| peer.0);
    let uri = request.uri().clone();
    let rest = uri
        .path()
        .strip_prefix(FUNCTION_URL_PREFIX)
        .unwrap_or_default();
    let (name, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    if !names_this_function(name, &environment.options.function_name) {
        let message = format!(
            "no function URL for `{name}` (this emulator serves `function` and `{}`)",
            environment.options.function_name
        );
        return aws_error(StatusCode::NOT_FOUND, "ResourceNotFoundException", &message);
    }
    let (parts, body) = request.into_parts();
    // A function URL takes what a synchronous invocation takes.
    let body = match Limited::new(body, MAX_SYNC_PAYLOAD).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            let message = format!("the request body is over {MAX_SYNC_PAYLOAD} bytes");
            return aws_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &message,
            );
        }
    };
    let id = ids::request_id();
    let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "us-east-1".to_owned());
    let event = event::event(
        &event::Request {
            method: parts.method.as_str(),
            path,
            query: uri.query().unwrap_or_default(),
            headers: &parts.headers,
            body: &body,
            peer,
        },
        &id,
        &region,
    );
    let (reply, outcome) = oneshot::channel();
    environment.queue.enqueue(Invocation {
        id: id.clone(),
        payload: Bytes::from(event.to_string()),
        client_context: None,
        tenant_id: None,
        reply: Some(reply),
        wants_log: false,
    });
    supervisor::ensure_running(&environment);
    let completed = environment.completed(&id, outcome).await;
    response::reply(completed.outcome).await
}
