//! `GET /next`: waits for an invocation and hands it out with every `Lambda-Runtime-*` header
//! Lambda sends, a new invocation id and trace id each time.

use std::sync::Arc;

use hyper::Response;
use hyper::header::{HeaderName, HeaderValue};
use lambda_handler_protocol::{headers, ids};

use crate::environment::{Environment, epoch_ms};
use crate::http::{Reply, full};

pub(super) async fn next(environment: &Arc<Environment>) -> Reply {
    environment.process.mark_initialized();
    environment.invocations.next_requested();
    let handed_out = environment.next().await;
    let (invocation, deadline) = (handed_out.invocation, handed_out.deadline);
    let function = &environment.options.function_name;
    let mut reply = Response::new(full(invocation.payload));
    let fields = reply.headers_mut();
    let mut set = |name: &'static str, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            fields.insert(HeaderName::from_static(name), value);
        }
    };
    set("content-type", "application/json".to_owned());
    set(headers::REQUEST_ID, invocation.id);
    set(headers::INVOCATION_ID, handed_out.invocation_id);
    set(headers::DEADLINE_MS, epoch_ms(deadline).to_string());
    set(
        headers::FUNCTION_ARN,
        crate::environment::function_arn(function),
    );
    set(headers::TRACE_ID, ids::trace_id());
    if let Some(tenant_id) = invocation.tenant_id {
        set(headers::TENANT_ID, tenant_id);
    }
    if let Some(client_context) = invocation.client_context {
        set(headers::CLIENT_CONTEXT, client_context);
    }
    reply
}
