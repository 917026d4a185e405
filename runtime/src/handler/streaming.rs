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

use crate::handler::error::InvocationError;
use crate::log::log;

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
pub struct Streaming {
    pub(crate) chunks: BoxChunks,
    pub(crate) content_type: HeaderValue,
}

/// A streamed response's chunks, type-erased.
pub(crate) type BoxChunks = Pin<Box<dyn Stream<Item = Result<Vec<u8>, InvocationError>>>>;

impl Streaming {
    /// A response of the chunks `stream` yields, in order; an `Err` ends it with that error.
    /// The content type is `application/octet-stream` unless [`Streaming::content_type`]
    /// says otherwise.
    pub fn new<S, B, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<B, E>> + 'static,
        B: Into<Vec<u8>>,
        E: fmt::Display,
    {
        Streaming {
            chunks: Box::pin(Chunks(Box::pin(stream))),
            content_type: HeaderValue::from_static("application/octet-stream"),
        }
    }

    /// The response's `Content-Type`, which Lambda passes on to the caller. A value that is
    /// not a valid header value is ignored (and logged).
    pub fn content_type(mut self, content_type: &str) -> Self {
        match HeaderValue::from_str(content_type) {
            Ok(value) => self.content_type = value,
            Err(_) => log!(
                Warn,
                "{content_type:?} is not a valid Content-Type; the response is sent as {:?}",
                self.content_type
            ),
        }
        self
    }
}

impl Streaming {
    /// The response to a function URL (`InvokeMode: RESPONSE_STREAM`): the HTTP status and
    /// headers its caller gets, then the stream as the body.
    ///
    /// Sent as Lambda's `application/vnd.awslambda.http-integration-response`: a JSON prelude
    /// (`{"statusCode":..,"headers":{..},"cookies":[..]}`) and eight zero bytes before the
    /// first chunk. Give the body's own `content-type` among `headers`. Each `set-cookie`
    /// goes into the prelude's `cookies`, as Lambda expects them; another header given more
    /// than once is sent once, its values joined with `, `.
    ///
    /// ```no_run
    /// use futures_util::stream;
    /// use lambda_handler::{lambda_handler, Streaming};
    ///
    /// #[lambda_handler]
    /// fn page(_request: serde_json::Value) -> Streaming {
    ///     let parts = ["<html><body>", "streamed", "</body></html>"];
    ///     let body = stream::iter(parts.map(Ok::<_, std::io::Error>));
    ///     Streaming::new(body).http_response(200, &[("content-type", "text/html")])
    /// }
    /// # fn main() { lambda_handler::run() }
    /// ```
    pub fn http_response(self, status: u16, headers: &[(&str, &str)]) -> Self {
        let mut fields = serde_json::Map::new();
        let mut cookies = Vec::new();
        for (name, value) in headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                cookies.push(serde_json::Value::from(*value));
                continue;
            }
            match fields.get_mut(*name) {
                Some(serde_json::Value::String(joined)) => {
                    joined.push_str(", ");
                    joined.push_str(value);
                }
                _ => {
                    fields.insert((*name).to_owned(), (*value).into());
                }
            }
        }
        let prelude = serde_json::json!({
            "statusCode": status,
            "headers": fields,
            "cookies": cookies,
        });
        let mut first = serde_json::to_vec(&prelude).expect("a JSON value always encodes");
        first.extend_from_slice(&[0; 8]);
        Streaming {
            chunks: Box::pin(Prelude {
                first: Some(first),
                rest: self.chunks,
            }),
            content_type: HeaderValue::from_static(
                lambda_handler_protocol::headers::HTTP_INTEGRATION_RESPONSE,
            ),
        }
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
        f.debug_struct("Streaming")
            .field("content_type", &self.content_type)
            .finish_non_exhaustive()
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
        mut self,
        mut each: impl FnMut(&[u8]),
    ) -> Result<(), InvocationError> {
        loop {
            match std::future::poll_fn(|cx| self.chunks.as_mut().poll_next(cx)).await {
                None => return Ok(()),
                Some(Ok(chunk)) => each(&chunk),
                Some(Err(error)) => return Err(error),
            }
        }
    }
}
