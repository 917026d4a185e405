//! Response streaming: a handler that returns [`Streaming`] sends its response to Lambda as it
//! produces it, chunk by chunk, instead of as one body.
//!
//! The Runtime API's contract for it (Lambda's "Implementing response streaming in a custom
//! runtime"; aws-lambda-go and lambda_runtime implement the same): `POST .../response` with
//! `Lambda-Runtime-Function-Response-Mode: streaming` and `Transfer-Encoding: chunked`; an
//! error after the first chunk goes in the HTTP trailers `Lambda-Runtime-Function-Error-Type`
//! and `Lambda-Runtime-Function-Error-Body` (the error JSON, base64), declared up front in
//! `Trailer`; the connection is closed once the response is written.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use hyper::header::HeaderValue;
use hyper::http::{self, HeaderMap, StatusCode};

use crate::handler::error::InvocationError;

/// A response sent to the caller as it is produced: the handler returns it, and the runtime
/// sends each chunk the stream yields as soon as it is ready.
///
/// ```no_run
/// use futures_util::stream;
/// use lambda_handler::{lambda_handler, Streaming};
///
/// #[lambda_handler]
/// async fn report(rows: u32) -> Streaming {
///     let lines = (0..rows).map(|i| Ok::<_, std::io::Error>(format!("row {i}\n")));
///     Streaming::new(stream::iter(lines)).content_type("text/plain")
/// }
/// # fn main() { lambda_handler::run() }
/// ```
///
/// - **Memory** is bounded by a chunk: the runtime polls the stream for the next chunk only
///   once the connection has taken the last one, so a 50 MB response costs a chunk's worth
///   of memory (`tests/tests/streaming.rs` measures it).
/// - **Errors**: a stream that yields `Err(e)` ends the response there; the caller gets the
///   chunks before it, then the error (`e`'s type name and message, as a handler's error is
///   reported), which Lambda's `InvokeWithResponseStream` surfaces in its `InvokeComplete`
///   event. A handler that fails before returning its stream fails as any handler does.
/// - **Invoking**: through a function URL with `InvokeMode: RESPONSE_STREAM` or
///   `InvokeWithResponseStream`; a buffered `Invoke` gets the whole response at once. Locally,
///   `--serve` serves `InvokeWithResponseStream` (boto3's `invoke_with_response_stream`).
///
/// The stream is `'static` (it runs after the handler returned): move what it needs into it,
/// cloning clients from the handler's state.
#[must_use = "a `Streaming` is sent only when the handler returns it"]
pub struct Streaming {
    chunks: BoxChunks,
    /// The response's `Content-Type`, when set (`application/octet-stream` otherwise).
    content_type: Option<HeaderValue>,
    /// A function URL's status and headers, sent before the body.
    http: Option<HttpHead>,
}

/// A function URL response's status and headers (see [`Streaming::http_response`]).
struct HttpHead {
    status: StatusCode,
    headers: HeaderMap,
    /// The prelude in a REST API's shape (`multiValueHeaders`, `Set-Cookie` among them)
    /// rather than a function URL's (`headers` and `cookies`).
    multi_value: bool,
}

/// A streamed response's chunks, type-erased.
pub(crate) type BoxChunks = Pin<Box<dyn Stream<Item = Result<Vec<u8>, InvocationError>>>>;

impl Streaming {
    /// A response of the chunks `stream` yields, in order; an `Err` ends it with that error.
    /// The content type is `application/octet-stream` unless [`Streaming::content_type`]
    /// says otherwise. For a stream that cannot fail, [`Streaming::from_chunks`].
    pub fn new<S, B, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + 'static,
        B: Into<Vec<u8>>,
        E: fmt::Display,
    {
        Streaming {
            chunks: Box::pin(Chunks(Box::pin(stream))),
            content_type: None,
            http: None,
        }
    }

    /// A response of the chunks a stream that cannot fail yields (`String`s, `Vec<u8>`s,
    /// `Bytes`), in order.
    ///
    /// ```no_run
    /// use futures_util::stream;
    /// use lambda_handler::{lambda_handler, Streaming};
    ///
    /// #[lambda_handler]
    /// fn lines(count: u32) -> Streaming {
    ///     Streaming::from_chunks(stream::iter((0..count).map(|i| format!("line {i}\n"))))
    /// }
    /// # fn main() { lambda_handler::run() }
    /// ```
    pub fn from_chunks<S, B>(stream: S) -> Self
    where
        S: Stream<Item = B> + 'static,
        B: Into<Vec<u8>>,
    {
        Streaming::new(Infallible(Box::pin(stream)))
    }

    /// The response's `Content-Type`, which Lambda passes on to the caller; for a function URL
    /// response ([`Streaming::http_response`]), the `content-type` header its caller gets.
    ///
    /// # Panics
    ///
    /// When `content_type` is not a valid header value (a control character in it): a
    /// literal, fixed when the code is written.
    pub fn content_type(mut self, content_type: &'static str) -> Self {
        let value = HeaderValue::from_static(content_type);
        match &mut self.http {
            Some(head) => {
                head.headers.insert(http::header::CONTENT_TYPE, value);
            }
            None => self.content_type = Some(value),
        }
        self
    }

    /// The response to a function URL (`InvokeMode: RESPONSE_STREAM`): the HTTP status and
    /// headers its caller gets, then the stream as the body.
    ///
    /// Sent as Lambda's `application/vnd.awslambda.http-integration-response`: a JSON prelude
    /// (`{"statusCode":..,"headers":{..},"cookies":[..]}`) and eight zero bytes before the
    /// first chunk. Each `set-cookie` goes into the prelude's `cookies`, as Lambda expects
    /// them; another header given more than once is sent once, its values joined with `, `.
    /// A content type set with [`Streaming::content_type`], before or after, is the
    /// `content-type` header.
    ///
    /// ```no_run
    /// use futures_util::stream;
    /// use lambda_handler::http::{HeaderMap, HeaderValue, StatusCode, header};
    /// use lambda_handler::{lambda_handler, Streaming};
    ///
    /// #[lambda_handler]
    /// fn page(_request: serde_json::Value) -> Streaming {
    ///     let parts = ["<html><body>", "streamed", "</body></html>"];
    ///     let mut headers = HeaderMap::new();
    ///     headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    ///     Streaming::from_chunks(stream::iter(parts))
    ///         .content_type("text/html")
    ///         .http_response(StatusCode::OK, headers)
    /// }
    /// # fn main() { lambda_handler::run() }
    /// ```
    pub fn http_response(mut self, status: StatusCode, mut headers: HeaderMap) -> Self {
        if let Some(content_type) = self.content_type.take()
            && !headers.contains_key(http::header::CONTENT_TYPE)
        {
            headers.insert(http::header::CONTENT_TYPE, content_type);
        }
        self.http = Some(HttpHead {
            status,
            headers,
            multi_value: false,
        });
        self
    }

    /// The prelude in the shape an API Gateway REST API with response streaming reads:
    /// every header's values in `multiValueHeaders`, `Set-Cookie` among them (a REST API has
    /// no `cookies`).
    #[cfg(feature = "http")]
    pub(crate) fn in_multi_value_headers(mut self) -> Self {
        if let Some(head) = &mut self.http {
            head.multi_value = true;
        }
        self
    }

    /// The chunks to send and the content type to send them under: a function URL response's
    /// prelude first.
    pub(crate) fn into_parts(self) -> (BoxChunks, HeaderValue) {
        match self.http {
            None => {
                let content_type = self
                    .content_type
                    .unwrap_or(HeaderValue::from_static("application/octet-stream"));
                (self.chunks, content_type)
            }
            Some(head) => {
                let chunks: BoxChunks = Box::pin(Prelude {
                    first: Some(head.prelude()),
                    rest: self.chunks,
                });
                let content_type = HeaderValue::from_static(
                    lambda_handler_protocol::headers::HTTP_INTEGRATION_RESPONSE,
                );
                (chunks, content_type)
            }
        }
    }
}

impl HttpHead {
    /// Lambda's prelude: the status, the headers (repeated ones joined), the cookies, then
    /// eight zero bytes.
    fn prelude(&self) -> Vec<u8> {
        if self.multi_value {
            return self.multi_value_prelude();
        }
        let mut fields = serde_json::Map::new();
        let mut cookies = Vec::new();
        for name in self.headers.keys() {
            let values = self
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            if name == http::header::SET_COOKIE {
                cookies.extend(values.map(serde_json::Value::from));
            } else {
                let joined = values.collect::<Vec<_>>().join(", ");
                fields.insert(name.as_str().to_owned(), joined.into());
            }
        }
        let prelude = serde_json::json!({
            "statusCode": self.status.as_u16(),
            "headers": fields,
            "cookies": cookies,
        });
        let mut first = serde_json::to_vec(&prelude).expect("a JSON value always encodes");
        first.extend_from_slice(&[0; 8]);
        first
    }
}

impl HttpHead {
    /// A REST API's prelude: the status and every header's values, then eight zero bytes.
    fn multi_value_prelude(&self) -> Vec<u8> {
        let mut fields = serde_json::Map::new();
        for name in self.headers.keys() {
            let values: Vec<serde_json::Value> = self
                .headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned().into())
                .collect();
            fields.insert(name.as_str().to_owned(), values.into());
        }
        let prelude = serde_json::json!({
            "statusCode": self.status.as_u16(),
            "multiValueHeaders": fields,
        });
        let mut first = serde_json::to_vec(&prelude).expect("a JSON value always encodes");
        first.extend_from_slice(&[0; 8]);
        first
    }
}

/// A chunk, then the rest of a response.
struct Prelude {
    first: Option<Vec<u8>>,
    rest: BoxChunks,
}

impl Stream for Prelude {
    type Item = Result<Vec<u8>, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match self.first.take() {
            Some(first) => Poll::Ready(Some(Ok(first))),
            None => self.rest.as_mut().poll_next(cx),
        }
    }
}

impl fmt::Debug for Streaming {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Streaming");
        debug.field("content_type", &self.content_type);
        if let Some(head) = &self.http {
            debug
                .field("status", &head.status)
                .field("headers", &head.headers);
        }
        debug.finish_non_exhaustive()
    }
}

/// A stream that cannot fail, as one of `Result`s that are all `Ok`.
struct Infallible<S>(Pin<Box<S>>);

impl<S: Stream> Stream for Infallible<S> {
    type Item = Result<S::Item, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.as_mut().poll_next(cx).map(|item| item.map(Ok))
    }
}

/// The user's stream, its chunks as bytes and its errors as Lambda reports them; a panic in it
/// is the invocation's error, as a handler's panic is.
struct Chunks<S>(Pin<Box<S>>);

impl<S, B, E> Stream for Chunks<S>
where
    S: Stream<Item = Result<B, E>>,
    B: Into<Vec<u8>>,
    E: fmt::Display,
{
    type Item = Result<Vec<u8>, InvocationError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        // `AssertUnwindSafe`: after a panic the stream is never polled again (its consumers
        // stop at the first error).
        match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll_next(cx))) {
            Ok(polled) => polled.map(|item| {
                item.map(|chunk| {
                    chunk
                        .map(Into::into)
                        .map_err(InvocationError::from_handler_error::<E>)
                })
            }),
            Err(panic) => Poll::Ready(Some(Err(InvocationError::panic(panic)))),
        }
    }
}

impl Streaming {
    /// Runs the stream to its end, handing each chunk to `each`: its error, if it ends with
    /// one (a panic in it included). For local mode and tests, where no Runtime API takes it.
    pub(crate) async fn for_each_chunk(
        self,
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), InvocationError> {
        let (mut chunks, _) = self.into_parts();
        loop {
            match std::future::poll_fn(|cx| chunks.as_mut().poll_next(cx)).await {
                None => return Ok(()),
                Some(Ok(chunk)) => each(&chunk),
                Some(Err(error)) => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prelude(streaming: Streaming) -> (serde_json::Value, HeaderValue) {
        let (mut chunks, content_type) = streaming.into_parts();
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let Poll::Ready(Some(Ok(first))) = chunks.as_mut().poll_next(&mut cx) else {
            panic!("a prelude first")
        };
        assert!(first.ends_with(&[0; 8]));
        let json = serde_json::from_slice(&first[..first.len() - 8]).unwrap();
        (json, content_type)
    }

    fn empty() -> Streaming {
        Streaming::from_chunks(Empty)
    }

    struct Empty;

    impl Stream for Empty {
        type Item = Vec<u8>;
        fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Vec<u8>>> {
            Poll::Ready(None)
        }
    }

    #[test]
    fn a_content_type_before_or_after_http_response_is_the_pages() {
        let mut headers = HeaderMap::new();
        headers.insert("Cache-Control", HeaderValue::from_static("no-store"));
        let before = empty()
            .content_type("text/html")
            .http_response(StatusCode::NOT_FOUND, headers.clone());
        let after = empty()
            .http_response(StatusCode::NOT_FOUND, headers)
            .content_type("text/html");
        for streaming in [before, after] {
            let (json, content_type) = prelude(streaming);
            assert_eq!(
                json,
                serde_json::json!({
                    "statusCode": 404,
                    "headers": {"cache-control": "no-store", "content-type": "text/html"},
                    "cookies": []
                })
            );
            assert_eq!(
                content_type,
                lambda_handler_protocol::headers::HTTP_INTEGRATION_RESPONSE
            );
        }
    }

    #[test]
    fn headers_are_one_per_name_whatever_their_case_and_cookies_are_each_kept() {
        let mut headers = HeaderMap::new();
        headers.append("Vary", HeaderValue::from_static("accept"));
        headers.append("vary", HeaderValue::from_static("origin"));
        headers.append("Set-Cookie", HeaderValue::from_static("a=1"));
        headers.append("set-cookie", HeaderValue::from_static("b=2"));
        let (json, _) = prelude(empty().http_response(StatusCode::OK, headers));
        assert_eq!(
            json["headers"],
            serde_json::json!({"vary": "accept, origin"})
        );
        assert_eq!(json["cookies"], serde_json::json!(["a=1", "b=2"]));
    }

    #[test]
    fn a_plain_stream_is_octet_stream_unless_told() {
        assert_eq!(empty().into_parts().1, "application/octet-stream");
        assert_eq!(
            empty().content_type("text/plain").into_parts().1,
            "text/plain"
        );
    }
}
