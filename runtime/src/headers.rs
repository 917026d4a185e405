//! The Runtime API's header names, built once at compile time: looking one up by `&str` would
//! parse and validate the name on every invocation.

use hyper::header::HeaderName;

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("lambda-runtime-aws-request-id");
pub(crate) const DEADLINE_MS: HeaderName = HeaderName::from_static("lambda-runtime-deadline-ms");
pub(crate) const FUNCTION_ARN: HeaderName =
    HeaderName::from_static("lambda-runtime-invoked-function-arn");
pub(crate) const TRACE_ID: HeaderName = HeaderName::from_static("lambda-runtime-trace-id");
pub(crate) const TENANT_ID: HeaderName = HeaderName::from_static("lambda-runtime-aws-tenant-id");
pub(crate) const COGNITO_IDENTITY: HeaderName =
    HeaderName::from_static("lambda-runtime-cognito-identity");
pub(crate) const CLIENT_CONTEXT: HeaderName =
    HeaderName::from_static("lambda-runtime-client-context");
pub(crate) const FUNCTION_ERROR_TYPE: HeaderName =
    HeaderName::from_static("lambda-runtime-function-error-type");
