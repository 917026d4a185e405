//! HTTP functions: a handler over `http::Request` and `http::Response` (the `http` feature),
//! whichever HTTP source invoked it.
//!
//! The source is told apart by the event's own fields (AWS documents each shape; the links
//! are on [`HttpSource`]'s variants), the request built from it, and the response written back
//! in the shape that source reads. Decoding notes the source in the invocation's
//! [`Shape`](crate::handler::contract::Shape), a local of the generated entry, so one
//! invocation's source never shapes another's answer.

mod body;
mod event;
mod not_http;
mod request;
mod response;
#[cfg(feature = "tower")]
mod service;

pub use crate::handler::shape::HttpSource;
pub use body::{RequestBody, ResponseBody};
#[cfg(feature = "tower")]
pub use service::{BoxError, HttpService, NotAService, Tower, call_service};

/// What an HTTP source said beyond the request itself, in the request's extensions:
/// `request.extensions().get::<lambda_handler::HttpContext>()`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct HttpContext {
    /// The source that invoked the function.
    pub source: HttpSource,
    /// The API Gateway stage (`requestContext.stage`), when the source has stages. The
    /// request's path never starts with it: a REST API gives the path without its stage, and
    /// an HTTP API's named stage is taken off `rawPath` (`$default` is never in a path).
    pub stage: Option<String>,
    /// The source's `requestContext` as it came: the identity, the authorizer, the request
    /// time, the ALB or Lattice target group ARN.
    pub request_context: serde_json::Value,
    /// API Gateway's path parameters (`pathParameters`), in the order the event lists them.
    pub path_parameters: Vec<(String, String)>,
    /// API Gateway's stage variables (`stageVariables`), in the order the event lists them.
    pub stage_variables: Vec<(String, String)>,
}

/// The kind of event and result that is an HTTP request and response.
pub struct Http;

#[diagnostic::do_not_recommend]
impl<B: RequestBody> crate::handler::contract::Event<Http> for hyper::http::Request<B> {
    fn __lambda_handler_decode(
        event: &[u8],
        shape: &crate::handler::contract::Shape,
    ) -> Result<Self, crate::handler::error::InvocationError> {
        let (request, source) = request::decode(event)?;
        shape.http.set(Some(source));
        Ok(request)
    }
}

#[diagnostic::do_not_recommend]
impl<B: ResponseBody> crate::handler::contract::Response<Http> for hyper::http::Response<B> {
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        shape: &crate::handler::contract::Shape,
    ) -> Result<crate::handler::registry::Output, crate::handler::error::InvocationError> {
        // A handler that returns a response without taking a request answers as a function
        // URL (and an HTTP API) reads it.
        let source = shape.http.get().unwrap_or(HttpSource::FunctionUrl);
        response::encode(self, source, out)?;
        Ok(crate::handler::registry::Output::Buffered)
    }
}

/// A status and a body, as axum writes a response: `(StatusCode::CREATED, "made")`.
#[diagnostic::do_not_recommend]
impl<B: ResponseBody> crate::handler::contract::Response<Http> for (hyper::http::StatusCode, B) {
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        shape: &crate::handler::contract::Shape,
    ) -> Result<crate::handler::registry::Output, crate::handler::error::InvocationError> {
        let (status, body) = self;
        let mut response = hyper::http::Response::new(body);
        *response.status_mut() = status;
        response.__lambda_handler_encode(out, shape)
    }
}

/// A status, headers and a body: `(StatusCode::OK, headers, body)`.
#[diagnostic::do_not_recommend]
impl<B: ResponseBody> crate::handler::contract::Response<Http>
    for (hyper::http::StatusCode, hyper::http::HeaderMap, B)
{
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        shape: &crate::handler::contract::Shape,
    ) -> Result<crate::handler::registry::Output, crate::handler::error::InvocationError> {
        let (status, headers, body) = self;
        let mut response = hyper::http::Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response.__lambda_handler_encode(out, shape)
    }
}

/// A streamed response: the response's status and headers as the stream's HTTP prelude, then
/// the stream as the body. Only the sources that read a stream take it: function URLs
/// (`InvokeMode: RESPONSE_STREAM`; the prelude of
/// [`Streaming::http_response`](crate::handler::streaming::Streaming::http_response)) and REST
/// APIs with response streaming (every value in `multiValueHeaders`, as
/// <https://docs.aws.amazon.com/apigateway/latest/developerguide/response-transfer-mode-lambda.html>
/// has it); the others read one JSON answer, which a stream is not, so the invocation fails
/// saying so.
#[diagnostic::do_not_recommend]
impl crate::handler::contract::Response<Http>
    for hyper::http::Response<crate::handler::streaming::Streaming>
{
    fn __lambda_handler_encode(
        self,
        _: &mut Vec<u8>,
        shape: &crate::handler::contract::Shape,
    ) -> Result<crate::handler::registry::Output, crate::handler::error::InvocationError> {
        match shape.http.get() {
            source @ (None | Some(HttpSource::FunctionUrl | HttpSource::RestApi)) => {
                let (parts, stream) = self.into_parts();
                let stream = stream.http_response(parts.status, parts.headers);
                // A REST API reads its prelude's headers from `multiValueHeaders`.
                let stream = match source {
                    Some(HttpSource::RestApi) => stream.in_multi_value_headers(),
                    _ => stream,
                };
                Ok(crate::handler::registry::Output::Streamed(stream))
            }
            Some(source) => Err(crate::handler::error::InvocationError::new(
                lambda_handler_protocol::error_types::RUNTIME_STREAM_NOT_READ,
                format!(
                    "a streamed response goes only to a function URL or a REST API with \
                     response streaming; this request came from {source:?}, which reads a \
                     whole response: return `http::Response<Vec<u8>>` (or `String`) for it"
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handler::contract::{Response as _, Shape};
    use crate::handler::registry::Output;
    use crate::handler::streaming::Streaming;
    use hyper::http::{Response, header};

    /// The first chunk a streamed `http::Response` sends when it came from `source`.
    fn prelude(source: HttpSource) -> serde_json::Value {
        let response = Response::builder()
            .status(201)
            .header("x-multi", "a")
            .header("x-multi", "b")
            .header(header::SET_COOKIE, "c1=blue")
            .header(header::SET_COOKIE, "c2=red")
            .body(Streaming::from_chunks(futures_util::stream::iter(["body"])))
            .unwrap();
        let shape = Shape::new();
        shape.http.set(Some(source));
        let Ok(Output::Streamed(stream)) =
            response.__lambda_handler_encode(&mut Vec::new(), &shape)
        else {
            panic!("a stream to {source:?}");
        };
        let (mut chunks, _) = stream.into_parts();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let first = runtime
            .block_on(futures_util::StreamExt::next(&mut chunks))
            .unwrap()
            .unwrap();
        assert!(first.ends_with(&[0; 8]));
        serde_json::from_slice(&first[..first.len() - 8]).unwrap()
    }

    #[test]
    fn a_status_and_body_tuple_is_a_response() {
        use crate::handler::contract::Response as _;
        use hyper::http::{HeaderMap, HeaderValue, StatusCode};
        let shape = Shape::new();
        shape.http.set(Some(HttpSource::RestApi));
        let mut out = Vec::new();
        (StatusCode::CREATED, "made")
            .__lambda_handler_encode(&mut out, &shape)
            .unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(answer["statusCode"], 201);
        assert_eq!(answer["body"], "made");
        let mut headers = HeaderMap::new();
        headers.insert("x-a", HeaderValue::from_static("1"));
        out.clear();
        (StatusCode::ACCEPTED, headers, vec![0xffu8])
            .__lambda_handler_encode(&mut out, &shape)
            .unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(answer["statusCode"], 202);
        assert_eq!(answer["multiValueHeaders"]["x-a"], serde_json::json!(["1"]));
        assert_eq!(answer["isBase64Encoded"], true);
    }

    #[test]
    fn a_streamed_response_has_each_sources_prelude() {
        assert_eq!(
            prelude(HttpSource::FunctionUrl),
            serde_json::json!({"statusCode": 201, "headers": {"x-multi": "a, b"}, "cookies": ["c1=blue", "c2=red"]})
        );
        assert_eq!(
            prelude(HttpSource::RestApi),
            serde_json::json!({"statusCode": 201, "multiValueHeaders": {"x-multi": ["a", "b"], "set-cookie": ["c1=blue", "c2=red"]}})
        );
    }
}
