//! An HTTP source's event as an `http::Request`.

use base64::Engine as _;
use hyper::http::{self, HeaderName, HeaderValue, Method, Request};

use super::event::{Fields, RawEvent};
use super::{HttpContext, HttpSource, RequestBody, not_http};
use crate::handler::error::InvocationError;

/// The request the event stands for, and the source it came from.
pub(super) fn decode<B: RequestBody>(
    event: &[u8],
) -> Result<(Request<B>, HttpSource), InvocationError> {
    let raw: RawEvent = match serde_json::from_slice(event) {
        Ok(raw) => raw,
        Err(error) => return Err(not_http::error(event, Some(error))),
    };
    let Some(source) = raw.source() else {
        return Err(not_http::error(event, None));
    };
    Ok((build(raw, source)?, source))
}

fn build<B: RequestBody>(raw: RawEvent, source: HttpSource) -> Result<Request<B>, InvocationError> {
    let context = &raw.request_context;
    let stage = context["stage"].as_str().map(str::to_owned);
    let (method, uri) = match source {
        HttpSource::HttpApi | HttpSource::FunctionUrl => {
            let method = context["http"]["method"].as_str().unwrap_or("GET");
            let path = raw.raw_path.as_deref().unwrap_or("/");
            let path = without_stage(path, stage.as_deref());
            let uri = with_query(
                path.to_owned(),
                raw.raw_query_string.as_deref().unwrap_or(""),
            );
            (method.to_owned(), uri)
        }
        HttpSource::RestApi
        | HttpSource::Alb { .. }
        | HttpSource::VpcLattice
        | HttpSource::VpcLatticeV1 => {
            let method = raw.http_method.as_deref().or(raw.method.as_deref());
            let path = raw.path.as_deref().or(raw.raw_path.as_deref());
            let path = encode_path(path.unwrap_or("/"));
            let query = raw
                .multi_value_query_string_parameters
                .as_ref()
                .or(raw.query_string_parameters.as_ref());
            // ALB and VPC Lattice pass the query string's names and values as the client
            // encoded them (lambda_http decodes Lattice's too); API Gateway's REST APIs
            // decode them, so they are encoded again here.
            let encoded = !matches!(source, HttpSource::RestApi);
            let query = query
                .map(|query| query_string(query, encoded))
                .unwrap_or_default();
            (method.unwrap_or("GET").to_owned(), with_query(path, &query))
        }
    };
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| {
        invalid(
            "requestContext.http.method",
            format!("`{method}` is not an HTTP method"),
        )
    })?;
    let mut request = Request::builder().method(method).uri(&uri);
    // REST APIs send both maps, ALB and Lattice one: the multi-value one has every value of
    // a repeated header, in order; the single-value one only the last.
    let headers = raw.multi_value_headers.or(raw.headers).unwrap_or_default();
    let cookies = raw.cookies.filter(|cookies| !cookies.is_empty());
    {
        let map = request.headers_mut().expect("the builder has no error yet");
        for (name, values) in headers.0 {
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| invalid("headers", format!("`{name}` is not a header name")))?;
            for value in values {
                let value = HeaderValue::try_from(value).map_err(|_| {
                    invalid(
                        "headers",
                        format!("the value of `{name}` is not a header value"),
                    )
                })?;
                map.append(header.clone(), value);
            }
        }
        // Payload 2.0 takes the `Cookie` header apart into `cookies`: put it back together.
        if let Some(cookies) = cookies {
            let value = HeaderValue::try_from(cookies.join("; "))
                .map_err(|_| invalid("cookies", "a cookie is not a header value".into()))?;
            map.insert(http::header::COOKIE, value);
        }
    }
    let body = raw.body.unwrap_or_default();
    let body = if raw.is_base64_encoded {
        base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|error| {
                invalid(
                    "body",
                    format!("`isBase64Encoded` but the body is not base64: {error}"),
                )
            })?
    } else {
        body.into_bytes()
    };
    let extension = HttpContext {
        source,
        stage,
        request_context: raw.request_context,
        path_parameters: raw
            .path_parameters
            .map(Fields::first_values)
            .unwrap_or_default(),
        stage_variables: raw
            .stage_variables
            .map(Fields::first_values)
            .unwrap_or_default(),
    };
    let request = request
        .extension(extension)
        .body(B::__lambda_handler_from_bytes(body)?)
        .map_err(|error| invalid("path", format!("`{uri}` is not a request target: {error}")))?;
    Ok(request)
}

fn invalid(path: &str, message: String) -> InvocationError {
    InvocationError::unmarshal(path, message)
}

/// An HTTP API's path without its named stage (`/prod/hello` on stage `prod` is `/hello`), so
/// that a router written for `/hello` answers on every stage; `$default` is never in the path.
fn without_stage<'a>(path: &'a str, stage: Option<&str>) -> &'a str {
    let Some(stage) = stage.filter(|stage| *stage != "$default") else {
        return path;
    };
    match path
        .strip_prefix('/')
        .and_then(|rest| rest.strip_prefix(stage))
    {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => path,
    }
}

fn with_query(mut path: String, query: &str) -> String {
    if !query.is_empty() {
        path.push('?');
        path.push_str(query);
    }
    path
}

/// `name=value&..` in the event's order, every value of a repeated name.
fn query_string(query: &Fields, encoded: bool) -> String {
    let mut out = String::new();
    for (name, values) in &query.0 {
        for value in values {
            if !out.is_empty() {
                out.push('&');
            }
            if encoded {
                out.push_str(name);
                out.push('=');
                out.push_str(value);
            } else {
                percent_encode(name, QUERY, &mut out);
                out.push('=');
                percent_encode(value, QUERY, &mut out);
            }
        }
    }
    out
}

/// A decoded path (REST API, ALB and Lattice give it decoded) made a valid request target
/// again: only what a URI's path cannot hold is encoded.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    percent_encode(path, PATH, &mut out);
    out
}

/// Bytes a query's name or value keeps as they are: RFC 3986's unreserved characters.
const QUERY: &[u8] = b"-._~";
/// Bytes a path keeps: unreserved, sub-delimiters, `:`, `@`, `/` and `%`.
const PATH: &[u8] = b"-._~!$&'()*+,;=:@/%";

fn percent_encode(text: &str, keep: &[u8], out: &mut String) {
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(byte as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            out.push('%');
            out.push(HEX[usize::from(byte >> 4)] as char);
            out.push(HEX[usize::from(byte & 15)] as char);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_stage_leaves_the_path_and_default_never_does() {
        assert_eq!(without_stage("/prod/hello", Some("prod")), "/hello");
        assert_eq!(without_stage("/prod", Some("prod")), "/");
        assert_eq!(
            without_stage("/production/x", Some("prod")),
            "/production/x"
        );
        assert_eq!(without_stage("/prod/x", Some("$default")), "/prod/x");
        assert_eq!(without_stage("/prod/x", None), "/prod/x");
    }

    #[test]
    fn decoded_names_and_values_are_encoded_once() {
        let mut out = String::new();
        percent_encode("a b&c=d/é~", QUERY, &mut out);
        assert_eq!(out, "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(encode_path("/a b/c%2Fd/@x"), "/a%20b/c%2Fd/@x");
    }

    fn request<B: RequestBody>(event: &str) -> Result<Request<B>, InvocationError> {
        decode::<B>(event.as_bytes()).map(|(request, _)| request)
    }

    #[test]
    fn a_body_is_decoded_from_base64_and_text_must_be_utf8() {
        let event = r#"{"version": "2.0", "rawPath": "/", "requestContext": {"http": {"method": "POST"}},
            "body": "/w==", "isBase64Encoded": true}"#;
        assert_eq!(request::<Vec<u8>>(event).unwrap().body(), &[0xff]);
        let error = request::<String>(event).unwrap_err();
        assert_eq!(error.error_type, "Runtime.UnmarshalError");
        assert!(
            error.error_message.contains("Request<Vec<u8>>"),
            "{}",
            error.error_message
        );
        let bad = event.replace("/w==", "not base64!");
        let error = request::<Vec<u8>>(&bad).unwrap_err();
        assert!(
            error.error_message.contains("not base64"),
            "{}",
            error.error_message
        );
    }

    #[test]
    fn a_header_or_method_http_cannot_hold_is_an_unmarshal_error_naming_it() {
        let event = r#"{"httpMethod": "GET", "path": "/", "requestContext": {},
            "headers": {"bad name": "x"}}"#;
        let error = request::<()>(event).unwrap_err();
        assert!(
            error
                .error_message
                .contains("`bad name` is not a header name"),
            "{}",
            error.error_message
        );
        let event = r#"{"httpMethod": "G E T", "path": "/", "requestContext": {}}"#;
        let error = request::<()>(event).unwrap_err();
        assert!(
            error.error_message.contains("not an HTTP method"),
            "{}",
            error.error_message
        );
    }

    #[test]
    fn null_maps_and_null_values_are_no_values() {
        let event = r#"{"httpMethod": "GET", "path": "/p", "requestContext": {},
            "queryStringParameters": null, "multiValueQueryStringParameters": {"a": null, "b": ["1", null]},
            "headers": null, "multiValueHeaders": null, "body": null}"#;
        let request = request::<String>(event).unwrap();
        assert_eq!(request.uri(), "/p?b=1");
        assert!(request.headers().is_empty());
        assert_eq!(request.body(), "");
    }
}
