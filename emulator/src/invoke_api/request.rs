//! What a caller asked of the Invoke API, read and checked as Lambda checks it: the invocation
//! type, the payload within its limit and JSON, the client context, the tenant, the log tail.

use base64::Engine;
use http_body_util::{BodyExt, Limited};
use hyper::Request;
use hyper::StatusCode;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderValue};
use lambda_handler_protocol::headers;
use lambda_handler_protocol::limits::{MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD};

use crate::http::{Reply, aws_error};

/// Lambda's refusal of a request: its status, exception and message.
pub(super) struct Refused {
    status: StatusCode,
    exception: &'static str,
    message: String,
}

impl Refused {
    fn new(status: StatusCode, exception: &'static str, message: impl Into<String>) -> Self {
        Refused {
            status,
            exception,
            message: message.into(),
        }
    }

    /// The AWS error reply SDKs read.
    pub(super) fn reply(self) -> Reply {
        aws_error(self.status, self.exception, &self.message)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

/// The two operations that invoke a function.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Operation {
    Invoke,
    InvokeWithResponseStream,
}

/// An invocation as its caller asked for it.
pub(super) struct InvokeRequest {
    pub(super) operation: Operation,
    pub(super) kind: InvocationType,
    /// The event: `{}` when the caller sent none.
    pub(super) payload: Bytes,
    /// The caller's client context, JSON.
    pub(super) client_context: Option<String>,
    /// The caller's tenant (`X-Amz-Tenant-Id`).
    pub(super) tenant_id: Option<String>,
    /// `X-Amz-Log-Type: Tail`: the last 4 KB of the invocation's log comes back, base64, in
    /// `X-Amz-Log-Result` (boto3's `LogType="Tail"`, `aws lambda invoke --log-type Tail`).
    pub(super) wants_log: bool,
    /// `X-Amz-Durable-Execution-Name`: the durable execution's name.
    pub(super) execution_name: Option<String>,
}

impl InvokeRequest {
    /// The request read, or Lambda's error reply to it.
    pub(super) async fn read(
        request: Request<Incoming>,
        operation: Operation,
    ) -> Result<Self, Refused> {
        let fields = request.headers();
        let kind = invocation_type(fields, operation)?;
        let client_context = client_context(fields).map_err(|()| {
            // Lambda's answer to a client context that is not base64 of a JSON object.
            Refused::new(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                "Client context must be a valid Base64-encoded JSON object.",
            )
        })?;
        let wants_log = fields
            .get(headers::LOG_TYPE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"Tail"));
        let tenant_id = fields
            .get(headers::TENANT_ID_REQUEST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let execution_name = fields
            .get(lambda_handler_protocol::durable::EXECUTION_NAME_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let payload = payload(request, kind).await?;
        Ok(InvokeRequest {
            execution_name,
            operation,
            kind,
            payload,
            client_context,
            tenant_id,
            wants_log,
        })
    }
}

/// `X-Amz-Invocation-Type`, as the operation allows it.
fn invocation_type(fields: &HeaderMap, operation: Operation) -> Result<InvocationType, Refused> {
    let invalid = |message: &str| {
        Refused::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            message,
        )
    };
    let kind = match fields
        .get(headers::INVOCATION_TYPE)
        .map(HeaderValue::to_str)
    {
        None | Some(Ok("RequestResponse")) => InvocationType::RequestResponse,
        Some(Ok("Event")) => InvocationType::Event,
        Some(Ok("DryRun")) => InvocationType::DryRun,
        Some(other) => {
            return Err(invalid(&format!(
                "invalid X-Amz-Invocation-Type {other:?}: RequestResponse, Event or DryRun"
            )));
        }
    };
    // A streamed response has a caller waiting for it: `Event` is not one of its types.
    if operation == Operation::InvokeWithResponseStream && kind == InvocationType::Event {
        return Err(invalid(
            "invalid X-Amz-Invocation-Type \"Event\" for InvokeWithResponseStream: \
             RequestResponse or DryRun",
        ));
    }
    Ok(kind)
}

/// The payload, within the limit of its invocation type and JSON, as Lambda takes it: `{}`
/// when the caller sent none.
async fn payload(request: Request<Incoming>, kind: InvocationType) -> Result<Bytes, Refused> {
    let limit = if kind == InvocationType::Event {
        MAX_ASYNC_PAYLOAD
    } else {
        MAX_SYNC_PAYLOAD
    };
    let payload = match Limited::new(request.into_body(), limit).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => {
            let message = format!(
                "Request must be smaller than {limit} bytes for the InvokeFunction operation"
            );
            return Err(Refused::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                message,
            ));
        }
    };
    if payload.is_empty() {
        return Ok(Bytes::from_static(b"{}"));
    }
    if serde_json::from_slice::<serde_json::Value>(&payload).is_err() {
        return Err(Refused::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            "Could not parse request body into json",
        ));
    }
    Ok(payload)
}

/// The caller's client context: `X-Amz-Client-Context` is standard base64 of a JSON object
/// (AWS SDKs encode it so); anything else is refused, as Lambda refuses it.
fn client_context(fields: &HeaderMap) -> Result<Option<String>, ()> {
    let Some(value) = fields.get(headers::CLIENT_CONTEXT_B64) else {
        return Ok(None);
    };
    let json = base64::engine::general_purpose::STANDARD
        .decode(value.as_bytes())
        .map_err(|_| ())?;
    let json = String::from_utf8(json).map_err(|_| ())?;
    match serde_json::from_str::<serde_json::Value>(&json) {
        Ok(serde_json::Value::Object(_)) => Ok(Some(json)),
        _ => Err(()),
    }
}

#[cfg(test)]
mod tests {
    use super::client_context;
    use hyper::header::{HeaderMap, HeaderValue};
    use lambda_handler_protocol::headers;

    fn decoded(value: &'static str) -> Result<Option<String>, ()> {
        let mut fields = HeaderMap::new();
        fields.insert(headers::CLIENT_CONTEXT_B64, HeaderValue::from_static(value));
        client_context(&fields)
    }

    #[test]
    fn client_contexts_are_base64_of_a_json_object() {
        assert_eq!(decoded("eyJhIjoxfQ=="), Ok(Some(r#"{"a":1}"#.to_owned())));
        assert_eq!(client_context(&HeaderMap::new()), Ok(None));
        // Not base64 (a stray `!`, a truncated quantum, misplaced padding), not UTF-8, or not
        // a JSON object.
        for bad in [
            "a!b=",
            "eyJhIjoxfQ=",
            "e=yJhIjoxfQ=",
            "/w==",
            "WzFd",
            "YWJj",
        ] {
            assert_eq!(decoded(bad), Err(()), "{bad}");
        }
    }
}
