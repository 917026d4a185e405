//! A streamed response: the handler returns `Streaming`, and each chunk reaches the caller as
//! soon as the stream yields it (function URLs with `InvokeMode: RESPONSE_STREAM`, and
//! `InvokeWithResponseStream`). Memory stays one chunk deep whatever the response's size.
//!
//! `cargo run --example streaming -- --handler lines '{"lines": 5, "delay_ms": 200}'`, or
//! `cargo run --example streaming -- --serve`, then boto3's `invoke_with_response_stream`.

use std::fmt;
use std::time::Duration;

use futures_util::stream;
use lambda_handler::http::{HeaderMap, HeaderValue, StatusCode, header};
use lambda_handler::{Streaming, lambda_handler};
use serde::Deserialize;

#[derive(Deserialize)]
struct Lines {
    lines: u32,
    #[serde(default)]
    delay_ms: u64,
    /// Fails the stream after this many lines.
    fail_after: Option<u32>,
}

/// Why a stream stopped early.
#[derive(Debug)]
struct SourceFailed(u32);

impl fmt::Display for SourceFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the source failed after line {}", self.0)
    }
}

/// Lines produced over time, as rows from a database or tokens from a model arrive.
#[lambda_handler]
async fn lines(request: Lines) -> Streaming {
    let delay = Duration::from_millis(request.delay_ms);
    let rows = stream::unfold(0, move |line| async move {
        if line == request.lines {
            return None;
        }
        if request.fail_after == Some(line) {
            // The stream ends with the error: the caller gets the lines before it, then it.
            return Some((Err(SourceFailed(line)), request.lines));
        }
        tokio::time::sleep(delay).await;
        Some((Ok(format!("line {line}\n")), line + 1))
    });
    Streaming::new(rows).content_type("text/plain")
}

#[derive(Deserialize)]
struct Size {
    megabytes: usize,
}

/// A response of any size, generated chunk by chunk: 64 KiB in memory at a time.
#[lambda_handler]
fn bulk(size: Size) -> Streaming {
    const CHUNK: usize = 64 * 1024;
    let chunks = size.megabytes * 1024 * 1024 / CHUNK;
    let data = stream::iter((0..chunks).map(|i| {
        let fill = b'a' + (i % 26) as u8;
        vec![fill; CHUNK]
    }));
    Streaming::from_chunks(data)
}

/// A function URL's streamed page: its status and headers first, then the body as it is made.
/// The content type set after `http_response` is the page's `content-type` header (the body
/// Lambda receives is its HTTP integration response).
#[lambda_handler]
async fn page(_request: serde_json::Value) -> Streaming {
    let parts = ["<html><body>", "<p>streamed</p>", "</body></html>"];
    let mut headers = HeaderMap::new();
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static("session=1; Secure"),
    );
    headers.append(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.append(header::SET_COOKIE, HeaderValue::from_static("theme=dark"));
    headers.append(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    Streaming::from_chunks(stream::iter(parts))
        .http_response(StatusCode::OK, headers)
        .content_type("text/html")
}

/// Any event (a function URL's, say) answered as plain streamed text: what it asked for, then
/// "done", under `text/plain` without an HTTP prelude.
#[lambda_handler]
fn plain(request: serde_json::Value) -> Streaming {
    let path = request["rawPath"].as_str().unwrap_or("no path").to_owned();
    Streaming::from_chunks(stream::iter([
        format!("path: {path}\n"),
        "done\n".to_owned(),
    ]))
    .content_type("text/plain")
}

#[derive(Deserialize)]
struct ReportRequest {
    name: String,
    /// Panics in the stream after this many rows, as a bug in the code producing them would.
    panic_after: Option<u32>,
}

/// Why a report cannot start.
#[derive(Debug)]
struct ReportNotFound(String);

impl fmt::Display for ReportNotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no report is named {}", self.0)
    }
}

/// A stream that may fail before it begins (`Err`: an ordinary error answer, nothing was
/// streamed), or panic after it began (the panic reaches the caller in the trailers).
#[lambda_handler]
fn report(request: ReportRequest) -> Result<Streaming, ReportNotFound> {
    if request.name != "sales" {
        return Err(ReportNotFound(request.name));
    }
    let rows = stream::iter((0..3).map(move |row| {
        assert!(
            Some(row) != request.panic_after,
            "row {row} could not be computed"
        );
        Ok::<_, std::convert::Infallible>(format!("row {row}\n"))
    }));
    Ok(Streaming::new(rows))
}

fn main() {
    lambda_handler::run()
}
