//! An HTTP/1.1 client of the Lambda Runtime API over one keep-alive connection, opened again
//! only when the server closes it.

use std::fmt;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// The Runtime API's version prefix.
const API: &str = "/2018-06-01/runtime";

/// Where the Runtime API is and the open connection to it.
pub(crate) struct Client {
    authority: String,
    base_path: String,
    host: HeaderValue,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// A reply from the Runtime API, read whole.
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
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

/// A header a request carries besides `Host` and `Content-Type`.
pub(crate) type ExtraHeader<'a> = Option<(HeaderName, &'a str)>;

impl Client {
    /// `endpoint` is `host:port`, as Lambda sets `AWS_LAMBDA_RUNTIME_API`, or
    /// `http://host:port/base/path`, as cargo-lambda's emulator does.
    pub(crate) fn new(endpoint: &str) -> Result<Self, String> {
        let rest = endpoint.strip_prefix("http://").unwrap_or(endpoint);
        let (authority, base_path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], rest[slash..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let valid = !authority.is_empty()
            && !rest.contains("://")
            && format!("http://{authority}{base_path}{API}")
                .parse::<Uri>()
                .is_ok();
        if !valid {
            return Err(format!(
                "AWS_LAMBDA_RUNTIME_API is `{endpoint}`, expected `host:port` or `http://host:port/path`"
            ));
        }
        Ok(Client {
            host: HeaderValue::from_str(authority).map_err(|e| e.to_string())?,
            authority: authority.to_owned(),
            base_path: base_path.to_owned(),
            sender: None,
        })
    }

    /// `GET /runtime/invocation/next`: waits for the next event.
    pub(crate) async fn next(&mut self) -> Result<Reply, ClientError> {
        self.request(Method::GET, "/invocation/next", None, Bytes::new())
            .await
    }

    /// `POST /runtime/invocation/{id}/response`. `request_id` must be a plausible id.
    pub(crate) async fn respond(
        &mut self,
        request_id: &str,
        body: Bytes,
    ) -> Result<Reply, ClientError> {
        let path = format!("/invocation/{request_id}/response");
        self.request(Method::POST, &path, None, body).await
    }

    /// `POST /runtime/invocation/{id}/error`, or `/runtime/init/error` without an id.
    pub(crate) async fn report_error(
        &mut self,
        request_id: Option<&str>,
        body: Bytes,
        error_type: &str,
    ) -> Result<Reply, ClientError> {
        let path = match request_id {
            Some(id) => format!("/invocation/{id}/error"),
            None => "/init/error".to_owned(),
        };
        let header = (
            HeaderName::from_static("lambda-runtime-function-error-type"),
            error_type,
        );
        self.request(Method::POST, &path, Some(header), body).await
    }

    async fn request(
        &mut self,
        method: Method,
        path: &str,
        extra: ExtraHeader<'_>,
        body: Bytes,
    ) -> Result<Reply, ClientError> {
        let uri: Uri = format!("{}{API}{path}", self.base_path)
            .parse()
            .expect("request ids are checked before they reach a path");
        let content_type = if extra.is_some() {
            "application/vnd.aws.lambda.error+json"
        } else {
            "application/json"
        };
        let mut request = Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(HOST, self.host.clone());
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Some((name, Ok(value))) = extra.map(|(n, v)| (n, HeaderValue::from_str(v))) {
            headers.insert(name, value);
        }
        // A request the connection never took (the server had closed it) is sent once more on
        // a new connection; one it took is never sent twice.
        let mut retried = false;
        loop {
            let sender = self.ready_sender().await?;
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let (parts, body) = response.into_parts();
                    let body = body.collect().await.map_err(|e| self.lost(e))?.to_bytes();
                    return Ok(Reply {
                        status: parts.status,
                        headers: parts.headers,
                        body,
                    });
                }
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

    fn lost(&mut self, error: hyper::Error) -> ClientError {
        self.sender = None;
        ClientError::Http(error)
    }

    async fn ready_sender(&mut self) -> Result<&mut SendRequest<Full<Bytes>>, ClientError> {
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
            let (sender, connection) = http1::handshake(TokioIo::new(stream))
                .await
                .map_err(ClientError::Http)?;
            tokio::spawn(connection);
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
