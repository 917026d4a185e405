//! The Runtime API's header names as `HeaderName`s, built once at compile time from the
//! protocol's definitions: looking one up by `&str` would parse and validate the name on every
//! invocation.

use hyper::header::HeaderName;
use lambda_handler_protocol::headers;

pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static(headers::REQUEST_ID);
pub(crate) const DEADLINE_MS: HeaderName = HeaderName::from_static(headers::DEADLINE_MS);
pub(crate) const FUNCTION_ARN: HeaderName = HeaderName::from_static(headers::FUNCTION_ARN);
pub(crate) const TRACE_ID: HeaderName = HeaderName::from_static(headers::TRACE_ID);
pub(crate) const INVOCATION_ID: HeaderName = HeaderName::from_static(headers::INVOCATION_ID);
pub(crate) const TENANT_ID: HeaderName = HeaderName::from_static(headers::TENANT_ID);
pub(crate) const COGNITO_IDENTITY: HeaderName = HeaderName::from_static(headers::COGNITO_IDENTITY);
pub(crate) const CLIENT_CONTEXT: HeaderName = HeaderName::from_static(headers::CLIENT_CONTEXT);
pub(crate) const FUNCTION_ERROR_TYPE: HeaderName =
    HeaderName::from_static(headers::FUNCTION_ERROR_TYPE);
pub(crate) const FUNCTION_ERROR_BODY: HeaderName =
    HeaderName::from_static(headers::FUNCTION_ERROR_BODY);
pub(crate) const RESPONSE_MODE: HeaderName = HeaderName::from_static(headers::RESPONSE_MODE);
