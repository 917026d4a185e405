//! The HTTP/1.1 servers' accept loop and the replies they share.

use std::future::Future;
use std::sync::Arc;

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::{Either, Full};
use hyper::body::{Body, Bytes, Frame, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// A reply's body: whole, or frames sent as they arrive (`InvokeWithResponseStream`).
pub(crate) type ReplyBody = Either<Full<Bytes>, Frames>;

pub(crate) type Reply = Response<ReplyBody>;

/// A whole body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> ReplyBody {
    Either::Left(Full::new(bytes.into()))
}

/// A body whose frames arrive on a channel and are sent as they come; it ends when the
/// channel closes.
pub(crate) struct Frames(pub(crate) mpsc::Receiver<Bytes>);

impl Body for Frames {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(cx)
            .map(|bytes| bytes.map(|b| Ok(Frame::data(b))))
    }
}

/// The address a request came from, in its extensions.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Peer(pub(crate) std::net::SocketAddr);

/// Serves every connection of `listener` with `route`.
pub(crate) async fn serve<S, F, Fut>(listener: TcpListener, environment: Arc<S>, route: F)
where
    S: Send + Sync + 'static,
    F: Fn(Request<Incoming>, Arc<S>) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("lambda-emulator: accept failed: {e}");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let environment = Arc::clone(&environment);
        tokio::spawn(async move {
            let service = service_fn(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(Peer(peer));
                let reply = route(request, Arc::clone(&environment));
                async move { Ok::<_, std::convert::Infallible>(reply.await) }
            });
            // A connection that fails ends here; its peer sees it closed.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A JSON reply.
pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Reply {
    let mut reply = Response::new(full(body));
    *reply.status_mut() = status;
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    reply
}

/// An AWS API error: the JSON body and `x-amzn-ErrorType` header AWS SDKs read.
pub(crate) fn aws_error(status: StatusCode, error_type: &'static str, message: &str) -> Reply {
    let body = serde_json::json!({"Type": "User", "message": message, "__type": error_type});
    let mut reply = json(status, body.to_string());
    reply.headers_mut().insert(
        lambda_handler_protocol::headers::AMZN_ERROR_TYPE,
        HeaderValue::from_static(error_type),
    );
    reply
}

/// `%XX` decoded (a malformed escape stays as it is); `+` is left alone, as in a URL's query.
pub(crate) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
