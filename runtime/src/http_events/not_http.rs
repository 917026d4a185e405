//! The error of an event that no HTTP source sends: what it looks like, and what an HTTP
//! source would have sent, in one line.

use serde_json::Value;

use crate::handler::error::InvocationError;

/// `Runtime.UnmarshalError` for `event`, which is not an HTTP request (`parse` failed when it
/// is not even an object of the expected field types).
#[cold]
pub(super) fn error(event: &[u8], parse: Option<serde_json::Error>) -> InvocationError {
    let looks_like = match serde_json::from_slice::<Value>(event) {
        Ok(value) => looks_like(&value),
        Err(_) => "is not JSON".to_owned(),
    };
    let detail = match parse {
        Some(error) if looks_like.starts_with("has") => format!(" ({error})"),
        _ => String::new(),
    };
    InvocationError::new(
        "Runtime.UnmarshalError",
        format!(
            "the event is not an HTTP request: it {looks_like}{detail}; an HTTP source sends \
             `requestContext.http` and `rawPath` (HTTP API, function URL), `httpMethod` and \
             `path` (REST API, and ALB with `requestContext.elb`), or `method` and `path` \
             (VPC Lattice; `raw_path` in its version 1)"
        ),
    )
}

/// What the event looks like, as "looks like an SQS message".
fn looks_like(event: &Value) -> String {
    let Some(object) = event.as_object() else {
        return format!("is a JSON {}, not an object", kind(event));
    };
    if object.is_empty() {
        return "is an empty object (`{}`)".to_owned();
    }
    if let Some(record) = event["Records"].get(0) {
        let source = record["eventSource"]
            .as_str()
            .or_else(|| record["EventSource"].as_str())
            .unwrap_or("unknown");
        let service = match source {
            "aws:sqs" => "an SQS message",
            "aws:s3" => "an S3 notification",
            "aws:sns" => "an SNS notification",
            "aws:dynamodb" => "a DynamoDB stream record",
            "aws:kinesis" => "a Kinesis record",
            _ => "a batch of records",
        };
        return format!("looks like {service} (`Records[0].eventSource` is \"{source}\")");
    }
    let context = &event["requestContext"];
    if context.get("connectionId").is_some() {
        let route = context["routeKey"].as_str().unwrap_or("?");
        return format!(
            "looks like an API Gateway WebSocket event (route `{route}`), which is answered with \
             `{{\"statusCode\": ..}}`, not an HTTP response"
        );
    }
    if event.get("detail-type").is_some() {
        return "looks like an EventBridge event (`detail-type`)".to_owned();
    }
    let mut names: Vec<&str> = object.keys().map(String::as_str).take(6).collect();
    if object.len() > names.len() {
        names.push("..");
    }
    format!("has the fields `{}`", names.join("`, `"))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
