//! The bodies of answers to the Runtime API. A buffered one's buffer comes back for the next
//! invocation once hyper has written it, so the response path allocates nothing in steady
//! state; a streamed one is polled a chunk at a time, and ends in trailers if it fails.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine;
use hyper::HeaderMap;
use hyper::body::{Body, Buf, Frame, SizeHint};
use hyper::header::HeaderValue;

use crate::handler::error::InvocationError;
use crate::handler::streaming::{BoxChunks, Streaming};
use crate::log::log;
use crate::runtime_api::headers;

/// Where a payload's buffer comes back to when hyper drops it, for a retry of the same answer
/// or as the next invocation's buffer. A buffer is tagged with the answer it carried (a number
/// each delivery of an answer takes anew): hyper may drop an answer's body long
/// after the exchange that sent it failed (a server that replied without reading it), and a
/// retry must post its own invocation's bytes, never those.
#[derive(Clone, Default)]
pub(crate) struct BufferReturn(Arc<Mutex<Returned>>);

/// The buffer that came back last, and the answer it carried.
#[derive(Default)]
struct Returned {
    answer: u64,
    bytes: Option<Vec<u8>>,
}

impl BufferReturn {
    /// A payload of `bytes`, carrying the answer numbered `answer`, that returns here.
    pub(crate) fn payload(&self, bytes: Vec<u8>, answer: u64) -> Payload {
        Payload::Once(Some(Chunk {
            bytes,
            read: 0,
            returns_to: Some((self.clone(), answer)),
        }))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Returned> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The buffer of the answer numbered `answer`, once returned: its bytes as sent, for a retry.
    pub(crate) fn take(&self, answer: u64) -> Option<Vec<u8>> {
        let mut returned = self.lock();
        if returned.answer == answer {
            returned.bytes.take()
        } else {
            None
        }
    }

    /// Whichever buffer came back, to clear and reuse.
    pub(crate) fn take_any(&self) -> Option<Vec<u8>> {
        self.lock().bytes.take()
    }

    /// The buffer of the answer numbered `answer`, waiting up to `limit` for hyper to drop it:
    /// after a failed exchange, the connection's task may still hold the request until it has
    /// wound down.
    pub(crate) async fn wait(&self, answer: u64, limit: Duration) -> Option<Vec<u8>> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(bytes) = self.take(answer) {
                return Some(bytes);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// A buffer hyper dropped: kept unless a later answer's is already here.
    fn give_back(&self, answer: u64, bytes: Vec<u8>) {
        let mut returned = self.lock();
        if returned.bytes.is_none() || returned.answer <= answer {
            *returned = Returned {
                answer,
                bytes: Some(bytes),
            };
        }
    }
}

/// A request body: one chunk, or a handler's streamed response.
pub(crate) enum Payload {
    Once(Option<Chunk>),
    Streamed(StreamedBody),
}

impl Payload {
    /// No body, as `GET /next` has.
    pub(crate) fn empty() -> Self {
        Payload::Once(None)
    }

    /// A body whose buffer is not reused (the rare paths: errors).
    pub(crate) fn once(bytes: Vec<u8>) -> Self {
        Payload::Once(Some(Chunk::once(bytes)))
    }
}

/// The payload's bytes, handed to hyper as its data frame.
pub(crate) struct Chunk {
    bytes: Vec<u8>,
    read: usize,
    /// Where the buffer goes back to, and the answer it carries.
    returns_to: Option<(BufferReturn, u64)>,
}

impl Chunk {
    /// A chunk whose buffer is not reused.
    pub(crate) fn once(bytes: Vec<u8>) -> Self {
        Chunk {
            bytes,
            read: 0,
            returns_to: None,
        }
    }
}

impl Buf for Chunk {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.read
    }

    fn chunk(&self) -> &[u8] {
        &self.bytes[self.read..]
    }

    fn advance(&mut self, count: usize) {
        assert!(
            count <= self.remaining(),
            "advanced past the end of the payload"
        );
        self.read += count;
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        if let Some((returns_to, answer)) = &self.returns_to {
            returns_to.give_back(*answer, std::mem::take(&mut self.bytes));
        }
    }
}

impl Body for Payload {
    type Data = Chunk;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Chunk>, Infallible>>> {
        match self.get_mut() {
            Payload::Once(chunk) => Poll::Ready(
                chunk
                    .take()
                    .filter(Buf::has_remaining)
                    .map(|chunk| Ok(Frame::data(chunk))),
            ),
            Payload::Streamed(body) => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Payload::Once(chunk) => chunk.as_ref().is_none_or(|chunk| !chunk.has_remaining()),
            Payload::Streamed(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Payload::Once(chunk) => {
                SizeHint::with_exact(chunk.as_ref().map_or(0, |chunk| chunk.remaining() as u64))
            }
            // Unknown: hyper sends it chunked.
            Payload::Streamed(_) => SizeHint::default(),
        }
    }
}

/// A streamed response as hyper sends it: each chunk a data frame, polled only when the
/// connection wants the next one; an error as the trailers that report it.
pub(crate) struct StreamedBody {
    chunks: Option<BoxChunks>,
    /// The invocation, for the log line of a mid-stream error.
    request_id: String,
    /// Bytes sent so far.
    sent: u64,
}

impl StreamedBody {
    pub(crate) fn new(streaming: Streaming, request_id: &str) -> (Self, HeaderValue) {
        let (chunks, content_type) = streaming.into_parts();
        let body = StreamedBody {
            chunks: Some(chunks),
            request_id: request_id.to_owned(),
            sent: 0,
        };
        (body, content_type)
    }

    pub(crate) fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Chunk>, Infallible>>> {
        loop {
            let Some(chunks) = &mut self.chunks else {
                return Poll::Ready(None);
            };
            match chunks.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    self.chunks = None;
                    return Poll::Ready(None);
                }
                // An empty chunk would end a chunked body: there is nothing to send.
                Poll::Ready(Some(Ok(bytes))) if bytes.is_empty() => {}
                Poll::Ready(Some(Ok(bytes))) => {
                    self.sent += bytes.len() as u64;
                    return Poll::Ready(Some(Ok(Frame::data(Chunk::once(bytes)))));
                }
                Poll::Ready(Some(Err(error))) => {
                    self.chunks = None;
                    log!(
                        Error,
                        "invocation {} failed after {} bytes of its streamed response: {error}",
                        self.request_id,
                        self.sent
                    );
                    return Poll::Ready(Some(Ok(Frame::trailers(error_trailers(&error)))));
                }
            }
        }
    }

    pub(crate) fn is_end_stream(&self) -> bool {
        self.chunks.is_none()
    }
}

/// The trailers that report `error` after a response has begun.
fn error_trailers(error: &InvocationError) -> HeaderMap {
    let mut trailers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&error.header_value()) {
        trailers.insert(headers::FUNCTION_ERROR_TYPE, value);
    }
    let body = base64::engine::general_purpose::STANDARD.encode(error.to_json());
    trailers.insert(
        headers::FUNCTION_ERROR_BODY,
        HeaderValue::from_str(&body).expect("base64 is a valid header value"),
    );
    trailers
}

#[cfg(test)]
mod tests {
    use super::{BufferReturn, Payload};
    use hyper::body::{Body, Buf};

    #[test]
    fn the_buffer_comes_back_when_the_body_is_dropped() {
        let returned = BufferReturn::default();
        let payload = returned.payload(b"{\"a\":1}".to_vec(), 1);
        assert_eq!(payload.size_hint().exact(), Some(7));
        drop(payload);
        assert_eq!(returned.take(1).as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(returned.take(1), None);
    }

    #[test]
    fn a_chunk_reads_like_a_buf() {
        let returned = BufferReturn::default();
        let mut payload = returned.payload(b"abc".to_vec(), 1);
        let Payload::Once(chunk) = &mut payload else {
            unreachable!("a payload of bytes")
        };
        let mut chunk = chunk.take().unwrap();
        chunk.advance(1);
        assert_eq!(chunk.chunk(), b"bc");
        drop(chunk);
        assert_eq!(returned.take(1).unwrap(), b"abc");
        assert!(Payload::empty().is_end_stream());
    }

    /// hyper may drop an earlier answer's body late, while a later answer waits for its own
    /// to post it again: the later answer gets its own bytes, or none, never the earlier's.
    #[test]
    fn a_retry_gets_its_own_answers_bytes_whenever_the_others_come_back() {
        let returned = BufferReturn::default();
        let earlier = returned.payload(b"earlier".to_vec(), 1);
        let later = returned.payload(b"later".to_vec(), 2);
        drop(earlier);
        assert_eq!(returned.take(2), None, "not the earlier answer's bytes");
        drop(later);
        assert_eq!(returned.take(2).unwrap(), b"later");
        // Late the other way round: the earlier one does not displace the later one.
        let later = returned.payload(b"later".to_vec(), 4);
        let earlier = returned.payload(b"earlier".to_vec(), 3);
        drop(later);
        drop(earlier);
        assert_eq!(returned.take(3), None);
        assert_eq!(returned.take(4).unwrap(), b"later");
        // Any of them serves as the next invocation's buffer.
        drop(returned.payload(b"old".to_vec(), 5));
        assert_eq!(returned.take_any().unwrap(), b"old");
    }

    #[test]
    fn waiting_for_a_buffer_hyper_still_holds_gives_up() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let returned = BufferReturn::default();
        let held = returned.payload(b"held".to_vec(), 7);
        let limit = std::time::Duration::from_millis(20);
        assert_eq!(runtime.block_on(returned.wait(7, limit)), None);
        drop(held);
        assert_eq!(runtime.block_on(returned.wait(6, limit)), None);
        assert_eq!(runtime.block_on(returned.wait(7, limit)).unwrap(), b"held");
    }
}
