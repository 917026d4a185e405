//! Header names, in lower case as HTTP/1.1 header maps hold them.

/// `GET /next`: the invocation's request id.
pub const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
/// `GET /next`: the deadline, milliseconds since the Unix epoch.
pub const DEADLINE_MS: &str = "lambda-runtime-deadline-ms";
/// `GET /next`: the ARN the caller invoked.
pub const FUNCTION_ARN: &str = "lambda-runtime-invoked-function-arn";
/// `GET /next`: the X-Ray trace header.
pub const TRACE_ID: &str = "lambda-runtime-trace-id";
/// `GET /next`: the invocation id, a nonce of this attempt at the invocation (Lambda, July
/// 2026); a runtime echoes it on the invocation's `/response` and `/error`, and rapid refuses
/// an answer that echoes another (410 `InvokeTimeout`).
pub const INVOCATION_ID: &str = "lambda-runtime-invocation-id";
/// `GET /next`: the tenant of a multi-tenant function.
pub const TENANT_ID: &str = "lambda-runtime-aws-tenant-id";
/// `GET /next`: the Cognito identity, JSON.
pub const COGNITO_IDENTITY: &str = "lambda-runtime-cognito-identity";
/// `GET /next`: the client context, JSON.
pub const CLIENT_CONTEXT: &str = "lambda-runtime-client-context";
/// `POST .../error`: the error type Lambda records; also a trailer of a streamed response
/// that failed after it began.
pub const FUNCTION_ERROR_TYPE: &str = "lambda-runtime-function-error-type";
/// A trailer of a streamed response that failed after it began: the error JSON, base64.
pub const FUNCTION_ERROR_BODY: &str = "lambda-runtime-function-error-body";
/// `POST .../response`: [`STREAMING`] for a response sent in chunks as it is produced.
pub const RESPONSE_MODE: &str = "lambda-runtime-function-response-mode";
/// The value of [`RESPONSE_MODE`] for a streamed response.
pub const STREAMING: &str = "streaming";

/// The content type of an error body posted to the Runtime API.
pub const ERROR_CONTENT_TYPE: &str = "application/vnd.aws.lambda.error+json";
/// The content type of a function URL's streamed response that begins with its HTTP status
/// and headers (JSON, then eight zero bytes), which Lambda turns into the URL's reply.
pub const HTTP_INTEGRATION_RESPONSE: &str = "application/vnd.awslambda.http-integration-response";
/// The content type of `InvokeWithResponseStream`'s reply: AWS's event-stream framing.
pub const EVENT_STREAM: &str = "application/vnd.amazon.eventstream";

/// Whether a body under `content_type` is text, which function URLs and API Gateway pass as
/// it is (and anything else base64, with `isBase64Encoded`): `text/*`, JSON, XML, JavaScript,
/// YAML and form data, with their `+json` and `+xml` relatives; parameters and case aside.
pub fn is_text_content_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
                | "application/yaml"
                | "application/x-yaml"
        )
}

/// Invoke API request: `RequestResponse`, `Event` or `DryRun`.
pub const INVOCATION_TYPE: &str = "x-amz-invocation-type";
/// Invoke API request: the caller's client context, base64 of a JSON object.
pub const CLIENT_CONTEXT_B64: &str = "x-amz-client-context";
/// Invoke API request: the caller's tenant.
pub const TENANT_ID_REQUEST: &str = "x-amz-tenant-id";
/// Invoke API request: `Tail` for the last 4 KB of the invocation's log.
pub const LOG_TYPE: &str = "x-amz-log-type";
/// Invoke API reply: that log, base64.
pub const LOG_RESULT: &str = "x-amz-log-result";
/// Invoke API reply: `Unhandled` when the function failed.
pub const FUNCTION_ERROR: &str = "x-amz-function-error";
/// Invoke API reply: the version that ran.
pub const EXECUTED_VERSION: &str = "x-amz-executed-version";
/// Invoke API reply: the invocation's request id.
pub const AMZN_REQUEST_ID: &str = "x-amzn-requestid";
/// AWS API error reply: the exception's name, which AWS SDKs read.
pub const AMZN_ERROR_TYPE: &str = "x-amzn-errortype";

#[cfg(test)]
mod tests {
    use super::is_text_content_type;

    #[test]
    fn text_content_types_are_told_with_parameters_and_case() {
        for text in [
            "text/html",
            "Application/JSON; charset=utf-8",
            "application/vnd.api+json",
            "image/svg+xml",
            "application/x-yaml",
        ] {
            assert!(is_text_content_type(text), "{text}");
        }
        for binary in [
            "image/png",
            "application/octet-stream",
            "application/zip",
            "",
        ] {
            assert!(!is_text_content_type(binary), "{binary}");
        }
    }
}
