//! The Runtime API the child runtime talks to, answering as Lambda does: `/next` waits for an
//! invocation and carries every `Lambda-Runtime-*` header and `Content-Type`, an answer is
//! taken once (202) and refused after (400), `/init/error` fails the invocation whose cold
//! start it was.

use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use crate::http::{Reply, json};
use crate::ids;
use crate::state::{Outcome, Refused, Shared, epoch_ms};
use crate::supervisor;

/// Lambda's limit on a synchronous response.
pub(crate) const MAX_RESPONSE: usize = 6_291_556;

const API: &str = "/2018-06-01/runtime";

pub(crate) async fn route(request: Request<Incoming>, shared: Arc<Shared>) -> Reply {
    let path = request.uri().path().to_owned();
    let Some(rest) = path.strip_prefix(API) else {
        return not_found();
    };
    match (request.method(), rest) {
        (&Method::GET, "/invocation/next") => next(&shared).await,
        (&Method::POST, "/init/error") => init_error(request, &shared).await,
        (&Method::POST, rest) => match rest
            .strip_prefix("/invocation/")
            .and_then(|r| r.split_once('/'))
        {
            Some((id, "response")) => answer(request, &shared, id.to_owned(), false).await,
            Some((id, "error")) => answer(request, &shared, id.to_owned(), true).await,
            _ => not_found(),
        },
        _ => not_found(),
    }
}

async fn next(shared: &Arc<Shared>) -> Reply {
    supervisor::mark(shared, true, false);
    let (invocation, deadline) = shared.next().await;
    let function = &shared.options.function_name;
    let mut reply = Response::new(Full::new(invocation.payload));
    let headers = reply.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    };
    set("content-type", "application/json".to_owned());
    set("lambda-runtime-aws-request-id", invocation.id);
    set("lambda-runtime-deadline-ms", epoch_ms(deadline).to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        format!("arn:aws:lambda:us-east-1:012345678912:function:{function}"),
    );
    set("lambda-runtime-trace-id", ids::trace_id());
    if let Some(tenant_id) = invocation.tenant_id {
        set("lambda-runtime-aws-tenant-id", tenant_id);
    }
    if let Some(client_context) = invocation.client_context {
        set("lambda-runtime-client-context", client_context);
    }
    reply
}

async fn answer(request: Request<Incoming>, shared: &Shared, id: String, is_error: bool) -> Reply {
    let body = match Limited::new(request.into_body(), MAX_RESPONSE)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            // Lambda refuses the body, and the caller gets the size error, not a timeout.
            let _ = shared.answer(&id, Outcome::error(
                "Function.ResponseSizeTooLarge",
                &format!("Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE} bytes)."),
            ));
            return json(
                StatusCode::PAYLOAD_TOO_LARGE,
                error_body("RequestEntityTooLarge", "the response is over 6 MB"),
            );
        }
    };
    let outcome = if is_error {
        Outcome::Error(error_or_default(body))
    } else {
        Outcome::Response(body)
    };
    match shared.answer(&id, outcome) {
        Ok(()) => json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#),
        Err(Refused::UnknownId) => json(
            StatusCode::BAD_REQUEST,
            error_body(
                "InvalidRequestID",
                &format!("invocation {id} is not in flight, or was answered"),
            ),
        ),
    }
}

async fn init_error(request: Request<Incoming>, shared: &Shared) -> Reply {
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
    supervisor::mark(shared, false, true);
    shared.fail_first_pending(|_| Outcome::Error(body.clone()));
    json(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
}

/// The runtime's error body when it is JSON, else Lambda's shape around whatever it sent.
fn error_or_default(body: Bytes) -> Bytes {
    if serde_json::from_slice::<serde_json::Value>(&body).is_ok_and(|v| v.is_object()) {
        return body;
    }
    let message = String::from_utf8_lossy(&body);
    Bytes::from(
        serde_json::json!({"errorType": "Runtime.Unknown", "errorMessage": message}).to_string(),
    )
}

fn error_body(error_type: &str, message: &str) -> String {
    serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string()
}

fn not_found() -> Reply {
    let mut reply = json(
        StatusCode::NOT_FOUND,
        error_body("NotFound", "no such Runtime API path"),
    );
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    reply
}
