//! Returns what the handler learns from its context, to see (and test) every field.

use lambda_handler::{Context, lambda_handler};
use serde_json::{Value, json};

#[lambda_handler]
fn describe_context(event: Value, ctx: &Context) -> Value {
    json!({
        "request_id": ctx.request_id,
        "invoked_function_arn": ctx.invoked_function_arn,
        "remaining_ms": ctx.remaining_time().as_millis() as u64,
        "function_name": ctx.function_name,
        "function_version": ctx.function_version,
        "memory_limit_in_mb": ctx.memory_limit_in_mb,
        "log_group_name": ctx.log_group_name,
        "log_stream_name": ctx.log_stream_name,
        "xray_trace_id": ctx.xray_trace_id,
        "env_trace_id": std::env::var("_X_AMZN_TRACE_ID").ok(),
        "tenant_id": ctx.tenant_id,
        "cognito_identity_id": ctx.identity.as_ref().map(|i| &i.cognito_identity_id),
        "client_app_title": ctx.client_context.as_ref().and_then(|c| c.client.as_ref()).map(|c| &c.app_title),
        "event": event,
    })
}

fn main() {
    lambda_handler::run()
}
