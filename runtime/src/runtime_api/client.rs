//! An HTTP/1.1 client of the Lambda Runtime API over one keep-alive connection, opened again
//! only when the server closes it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use http_body_util::BodyExt;
use hyper::body::Body;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, TRAILER, TRANSFER_ENCODING};
use hyper::{HeaderMap, Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use lambda_handler_protocol::headers::{
    ERROR_CONTENT_TYPE, FUNCTION_ERROR_BODY, FUNCTION_ERROR_TYPE, STREAMING,
};
use lambda_handler_protocol::limits::MAX_EVENT;
use lambda_handler_protocol::paths::{self, Answer, RUNTIME_API};

use crate::race::{First, first};
use crate::runtime_api::payload::Payload;

/// Where the Runtime API is and the open connection to it.
pub(crate) struct Client {
    authority: String,
    base_path: String,
    host: HeaderValue,
    next_uri: Uri,
    sender: Option<SendRequest<Payload>>,
}

/// The status and headers of a reply; its body goes to a buffer the caller owns.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    /// The body was over [`MAX_EVENT`]: the buffer holds only its start, and the rest was
    /// never read (the connection is closed).
    pub(crate) over_limit: bool,
}

/// Which invocation an answer is for: its request id (in the path; a plausible id, see
/// `event_loop`) and the invocation id `/next` gave with it, echoed as rapid asks.
#[derive(Clone, Copy)]
pub(crate) struct AnswerTo<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) invocation_id: Option<&'a HeaderValue>,
}

/// The Runtime API could not be reached or answered with something that is not HTTP.
#[derive(Debug)]
pub(crate) enum ClientError {
    Connect(std::io::Error),
    Http(hyper::Error),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Connect(e) => write!(f, "cannot connect: {e}"),
            ClientError::Http(e) => write!(f, "HTTP exchange failed: {e}"),
        }
    }
}

/// What an exchange is, for its headers.
enum Kind<'a> {
    Next,
    Response,
    /// An error report of this type.
    Error(&'a str),
    /// A streamed response of this content type.
    Streamed(HeaderValue),
}

/// The most hyper buffers while reading a reply.
const READ_BUFFER: usize = 64 * 1024;

impl Client {
    /// `endpoint` is `host:port`, as Lambda sets `AWS_LAMBDA_RUNTIME_API`, or
    /// `http://host:port/base/path`, as cargo-lambda's emulator does.
    pub(crate) fn new(endpoint: &str) -> Result<Self, String> {
        let rest = endpoint.strip_prefix("http://").unwrap_or(endpoint);
        let (authority, base_path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let invalid = || {
            format!(
                "AWS_LAMBDA_RUNTIME_API is `{endpoint}`, expected `host:port` or `http://host:port/path`"
            )
        };
        if authority.is_empty()
            || rest.contains("://")
            || format!("http://{authority}").parse::<Uri>().is_err()
        {
            return Err(invalid());
        }
        let next_uri = format!("{base_path}{RUNTIME_API}{}", paths::NEXT)
            .parse()
            .map_err(|_| invalid())?;
        Ok(Client {
            host: HeaderValue::from_str(authority).map_err(|_| invalid())?,
            authority: authority.to_owned(),
            base_path: base_path.to_owned(),
            next_uri,
            sender: None,
        })
    }

    /// `GET /runtime/invocation/next`: waits for the next event, read into `event`; `None`
    /// when `stop` finished first. `stop` cancels only the wait for the reply to begin: once
    /// the Runtime API has begun to answer, an invocation was handed out and is in flight, so
    /// it is read whole whatever `stop` does.
    pub(crate) async fn next<S: Future<Output = ()>>(
        &mut self,
        event: &mut Vec<u8>,
        stop: Pin<&mut S>,
    ) -> Result<Option<Reply>, ClientError> {
        let request = self.build(
            Method::GET,
            self.next_uri.clone(),
            Kind::Next,
            None,
            Payload::empty(),
        );
        let response = match first(stop, self.send(request)).await {
            First::A(()) => return Ok(None),
            First::B(response) => response?,
        };
        self.read_reply(response, event).await.map(Some)
    }

    /// `POST /runtime/invocation/{id}/response`.
    pub(crate) async fn respond(
        &mut self,
        to: AnswerTo<'_>,
        payload: Payload,
        reply: &mut Vec<u8>,
    ) -> Result<Reply, ClientError> {
        let uri = self.answer_uri(to.request_id, Answer::Response);
        self.request(
            Method::POST,
            uri,
            Kind::Response,
            to.invocation_id,
            payload,
            reply,
        )
        .await
    }

    /// `POST /runtime/invocation/{id}/response` of a streamed response: chunked, with the
    /// error trailers declared. The connection is closed afterwards, as Lambda asks of a
    /// streaming runtime.
    pub(crate) async fn respond_streamed(
        &mut self,
        to: AnswerTo<'_>,
        payload: Payload,
        content_type: HeaderValue,
        reply: &mut Vec<u8>,
    ) -> Result<Reply, ClientError> {
        let uri = self.answer_uri(to.request_id, Answer::Response);
        let kind = Kind::Streamed(content_type);
        let replied = self
            .request(Method::POST, uri, kind, to.invocation_id, payload, reply)
            .await;
        self.sender = None;
        replied
    }

    /// `POST /runtime/invocation/{id}/error`, or `/runtime/init/error` without an invocation.
    pub(crate) async fn report_error(
        &mut self,
        to: Option<AnswerTo<'_>>,
        payload: Payload,
        error_type: &str,
        reply: &mut Vec<u8>,
    ) -> Result<Reply, ClientError> {
        let (uri, invocation_id) = match to {
            Some(to) => (
                self.answer_uri(to.request_id, Answer::Error),
                to.invocation_id,
            ),
            None => (self.uri(format_args!("{}", paths::INIT_ERROR)), None),
        };
        let kind = Kind::Error(error_type);
        self.request(Method::POST, uri, kind, invocation_id, payload, reply)
            .await
    }

    pub(crate) fn answer_uri(&self, request_id: &str, answer: Answer) -> Uri {
        self.uri(format_args!(
            "{}{request_id}/{}",
            paths::INVOCATION,
            answer.segment()
        ))
    }

    fn uri(&self, path: fmt::Arguments<'_>) -> Uri {
        format!("{}{RUNTIME_API}{path}", self.base_path)
            .parse()
            .expect("request ids are checked before they reach a path")
    }

    /// One exchange of the given kind; an answer echoes its invocation's id.
    async fn request(
        &mut self,
        method: Method,
        uri: Uri,
        kind: Kind<'_>,
        invocation_id: Option<&HeaderValue>,
        payload: Payload,
        reply_body: &mut Vec<u8>,
    ) -> Result<Reply, ClientError> {
        let request = self.build(method, uri, kind, invocation_id, payload);
        let response = self.send(request).await?;
        self.read_reply(response, reply_body).await
    }

    /// The request of an exchange of the given kind.
    fn build(
        &self,
        method: Method,
        uri: Uri,
        kind: Kind<'_>,
        invocation_id: Option<&HeaderValue>,
        payload: Payload,
    ) -> Request<Payload> {
        let mut request = Request::new(payload);
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        if let Some(invocation_id) = invocation_id {
            headers.insert(
                crate::runtime_api::headers::INVOCATION_ID,
                invocation_id.clone(),
            );
        }
        match kind {
            Kind::Next => {}
            Kind::Response => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            }
            Kind::Error(error_type) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(ERROR_CONTENT_TYPE));
                if let Ok(value) = HeaderValue::from_str(error_type) {
                    headers.insert(crate::runtime_api::headers::FUNCTION_ERROR_TYPE, value);
                }
            }
            Kind::Streamed(content_type) => {
                headers.insert(CONTENT_TYPE, content_type);
                headers.insert(
                    crate::runtime_api::headers::RESPONSE_MODE,
                    HeaderValue::from_static(STREAMING),
                );
                headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
                // hyper sends only the trailers a request declares.
                let trailers = format!("{FUNCTION_ERROR_TYPE}, {FUNCTION_ERROR_BODY}");
                headers.insert(
                    TRAILER,
                    HeaderValue::from_str(&trailers).expect("header names are header values"),
                );
            }
        }
        request
    }

    /// Sends a request: the reply's status and headers, its body still to be read. A request
    /// the connection never took (the server had closed it) is sent once more on a new
    /// connection; one it took is never sent twice from here.
    async fn send(
        &mut self,
        mut request: Request<Payload>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, ClientError> {
        let mut retried = false;
        loop {
            let sender = self.ready_sender().await?;
            match sender.try_send_request(request).await {
                Ok(response) => return Ok(response),
                Err(mut error) => {
                    self.sender = None;
                    match error.take_message() {
                        Some(unsent) if !retried => {
                            retried = true;
                            request = unsent;
                        }
                        _ => return Err(ClientError::Http(error.into_error())),
                    }
                }
            }
        }
    }

    /// Reads a reply's body into `reply_body`, up to [`MAX_EVENT`].
    async fn read_reply(
        &mut self,
        response: hyper::Response<hyper::body::Incoming>,
        reply_body: &mut Vec<u8>,
    ) -> Result<Reply, ClientError> {
        let (parts, mut body) = response.into_parts();
        reply_body.clear();
        // A declared length over the limit is refused before any of it is read.
        let declared = body.size_hint().exact();
        let mut over_limit = declared.is_some_and(|length| length > MAX_EVENT as u64);
        if let Some(length) = declared.filter(|_| !over_limit) {
            reply_body.reserve(length as usize);
        }
        while !over_limit && let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| self.lost(e))?;
            if let Ok(data) = frame.into_data() {
                if reply_body.len() + data.len() > MAX_EVENT {
                    over_limit = true;
                } else {
                    reply_body.extend_from_slice(&data);
                }
            }
        }
        if over_limit {
            // The rest of the body is still on the connection: it cannot carry another request.
            self.sender = None;
        }
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            over_limit,
        })
    }

    fn lost(&mut self, error: hyper::Error) -> ClientError {
        self.sender = None;
        ClientError::Http(error)
    }

    async fn ready_sender(&mut self) -> Result<&mut SendRequest<Payload>, ClientError> {
        if let Some(sender) = &mut self.sender
            && sender.ready().await.is_err()
        {
            self.sender = None;
        }
        if self.sender.is_none() {
            let stream = TcpStream::connect(&self.authority)
                .await
                .map_err(ClientError::Connect)?;
            // The Runtime API exchanges small messages: waiting to coalesce them only adds latency.
            stream.set_nodelay(true).map_err(ClientError::Connect)?;
            // A small read buffer: bodies are copied out of it into the invocation's own
            // buffer, so a larger one would only add to the peak memory of large events.
            let (sender, connection) = http1::Builder::new()
                .max_buf_size(READ_BUFFER)
                .handshake(TokioIo::new(stream))
                .await
                .map_err(ClientError::Http)?;
            // Beside the invocation loop, in its `LocalSet` (see `serving::run`).
            tokio::task::spawn_local(connection);
            self.sender = Some(sender);
        }
        Ok(self.sender.as_mut().expect("connected above"))
    }
}

#[cfg(test)]
mod tests {
    use super::Client;

    #[test]
    fn both_endpoint_forms_are_accepted() {
        let c = Client::new("127.0.0.1:9001").unwrap();
        assert_eq!(
            (c.authority.as_str(), c.base_path.as_str()),
            ("127.0.0.1:9001", "")
        );
        let c = Client::new("http://localhost:9000/.rt/").unwrap();
        assert_eq!(
            (c.authority.as_str(), c.base_path.as_str()),
            ("localhost:9000", "/.rt")
        );
    }

    #[test]
    fn other_endpoints_are_refused() {
        for bad in ["", "https://host:1", "http:///path", "host:1/a path"] {
            assert!(Client::new(bad).is_err(), "{bad}");
        }
    }
}
