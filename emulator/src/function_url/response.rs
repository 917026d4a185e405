//! A function's answer as a function URL turns it into an HTTP response, as Lambda's
//! "Invoking Lambda function URLs" documents it (response payload format): an object with a
//! `statusCode` is the response (its `headers`, its `cookies` as `set-cookie` headers, its
//! `body`, base64-decoded when `isBase64Encoded`); any other JSON is the body of a 200 with
//! `content-type: application/json`. A streamed response with the
//! `application/vnd.awslambda.http-integration-response` content type begins with that object
//! (then eight zero bytes) and streams its body; any other stream is the body of a 200 under
//! its own content type. A function that fails, or answers what is not a response, is a 502.

use base64::Engine;
use http_body_util::Either;
use hyper::body::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue, SET_COOKIE};
use hyper::{Response, StatusCode};
use lambda_handler_protocol::headers::HTTP_INTEGRATION_RESPONSE;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::environment::outcome::{Outcome, StreamEvent};
use crate::http::{Frames, Reply, full};

/// The HTTP response for an invocation's outcome.
pub(super) async fn reply(outcome: Outcome) -> Reply {
    match outcome {
        Outcome::Response(body) => buffered(&body).unwrap_or_else(bad_gateway),
        Outcome::Error(body) => bad_gateway(format!(
            "the function failed: {}",
            String::from_utf8_lossy(&body)
        )),
        Outcome::Streamed {
            content_type,
            chunks,
        } => streamed(content_type.as_deref(), chunks).await,
    }
}

/// A buffered answer: the response object, or JSON to send as it is.
fn buffered(body: &[u8]) -> Result<Reply, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the function's answer is not JSON: {e}"))?;
    match value.get("statusCode") {
        Some(_) => respond(&value),
        None => {
            let mut reply = Response::new(full(Bytes::copy_from_slice(body)));
            reply
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Ok(reply)
        }
    }
}

/// The response `object` describes.
fn respond(object: &Value) -> Result<Reply, String> {
    let (status, fields) = head(object)?;
    let content = match &object["body"] {
        Value::Null => Bytes::new(),
        Value::String(text) if object["isBase64Encoded"] == true => {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map(Bytes::from)
                .map_err(|e| format!("`body` is not base64, as `isBase64Encoded` says: {e}"))?
        }
        Value::String(text) => Bytes::from(text.clone()),
        other => Bytes::from(other.to_string()),
    };
    let mut reply = Response::new(full(content));
    *reply.status_mut() = status;
    *reply.headers_mut() = fields;
    Ok(reply)
}

/// A response object's status, and its headers with its cookies as `set-cookie`.
fn head(object: &Value) -> Result<(StatusCode, hyper::HeaderMap), String> {
    let status = object["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| {
            format!(
                "`statusCode` {} is not an HTTP status",
                object["statusCode"]
            )
        })?;
    let mut fields = hyper::HeaderMap::new();
    if let Some(headers) = object["headers"].as_object() {
        for (name, value) in headers {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("header `{name}`: {e}"))?;
            let value =
                HeaderValue::from_str(&value).map_err(|e| format!("header `{name}`: {e}"))?;
            fields.append(name, value);
        }
    }
    for cookie in object["cookies"].as_array().into_iter().flatten() {
        if let Some(value) = cookie.as_str().and_then(|c| HeaderValue::from_str(c).ok()) {
            fields.append(SET_COOKIE, value);
        }
    }
    Ok((status, fields))
}

/// A streamed answer, passed on as it comes.
async fn streamed(content_type: Option<&str>, mut chunks: mpsc::Receiver<StreamEvent>) -> Reply {
    let mut held = Vec::new();
    let mut reply = if content_type == Some(HTTP_INTEGRATION_RESPONSE) {
        // The prelude: JSON, then eight zero bytes, possibly over several chunks.
        let prelude = loop {
            if let Some(end) = find_prelude_end(&held) {
                let prelude: Result<Value, _> = serde_json::from_slice(&held[..end]);
                held.drain(..end + PRELUDE_SEPARATOR);
                break prelude;
            }
            match chunks.recv().await {
                Some(StreamEvent::Chunk(chunk)) => held.extend_from_slice(&chunk),
                Some(StreamEvent::End {
                    error: Some(error), ..
                }) => {
                    return bad_gateway(format!(
                        "the function failed: {}",
                        String::from_utf8_lossy(&error.body)
                    ));
                }
                _ => return bad_gateway("the stream ended inside its HTTP prelude".to_owned()),
            }
        };
        let head = prelude
            .map_err(|e| format!("the HTTP prelude is not JSON: {e}"))
            .and_then(|prelude| head(&prelude));
        match head {
            Ok((status, fields)) => {
                let mut reply = Response::new(full(Bytes::new()));
                *reply.status_mut() = status;
                *reply.headers_mut() = fields;
                reply
            }
            Err(message) => return bad_gateway(message),
        }
    } else {
        let mut reply = Response::new(full(Bytes::new()));
        let content_type = content_type.unwrap_or("application/octet-stream");
        if let Ok(value) = HeaderValue::from_str(content_type) {
            reply.headers_mut().insert(CONTENT_TYPE, value);
        }
        reply
    };
    let (frames, body) = mpsc::channel(4);
    tokio::spawn(async move {
        if !held.is_empty() && frames.send(Bytes::from(held)).await.is_err() {
            return;
        }
        while let Some(event) = chunks.recv().await {
            match event {
                StreamEvent::Chunk(chunk) => {
                    if frames.send(chunk).await.is_err() {
                        return;
                    }
                }
                StreamEvent::End { error, .. } => {
                    // The status is sent: the caller sees the body end where the error came.
                    if let Some(error) = error {
                        eprintln!(
                            "lambda-emulator: the function URL's stream ended with an error: {}",
                            String::from_utf8_lossy(&error.body)
                        );
                    }
                    return;
                }
            }
        }
    });
    *reply.body_mut() = Either::Right(Frames(body));
    reply
}

/// The eight zero bytes that end a streamed response's HTTP prelude.
const PRELUDE_SEPARATOR: usize = 8;

/// Where the prelude's JSON ends: at the first run of eight zero bytes (JSON has none).
fn find_prelude_end(held: &[u8]) -> Option<usize> {
    held.windows(PRELUDE_SEPARATOR)
        .position(|w| w.iter().all(|&b| b == 0))
}

/// 502, as a function URL answers for a function that failed or answered no response.
fn bad_gateway(why: String) -> Reply {
    eprintln!("lambda-emulator: function URL: {why}");
    let mut reply = Response::new(full(Bytes::from_static(b"Internal Server Error")));
    *reply.status_mut() = StatusCode::BAD_GATEWAY;
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(reply: Reply) -> (u16, Vec<(String, String)>, Vec<u8>) {
        use hyper::body::Body;
        let status = reply.status().as_u16();
        let fields = reply
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned()))
            .collect();
        let mut body = std::pin::pin!(reply.into_body());
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut bytes = Vec::new();
        while let std::task::Poll::Ready(Some(Ok(frame))) = body.as_mut().poll_frame(&mut cx) {
            bytes.extend_from_slice(&frame.into_data().unwrap());
        }
        (status, fields, bytes)
    }

    #[test]
    fn json_without_a_status_is_a_200_of_json() {
        let (status, fields, body) = text(buffered(br#"{"message":"hi"}"#).unwrap());
        assert_eq!(status, 200);
        assert_eq!(fields, [("content-type".into(), "application/json".into())]);
        assert_eq!(body, br#"{"message":"hi"}"#);
        let (status, _, body) = text(buffered(br#""Hello, world!""#).unwrap());
        assert_eq!((status, body.as_slice()), (200, &br#""Hello, world!""#[..]));
    }

    #[test]
    fn a_response_object_is_the_response() {
        let answer = br#"{"statusCode":201,"headers":{"Content-Type":"text/plain","X-N":3},
            "cookies":["a=1; Max-Age=60","b=2"],"body":"aGk=","isBase64Encoded":true}"#;
        let (status, fields, body) = text(buffered(answer).unwrap());
        assert_eq!(status, 201);
        assert_eq!(
            fields,
            [
                ("content-type".into(), "text/plain".into()),
                ("x-n".into(), "3".into()),
                ("set-cookie".into(), "a=1; Max-Age=60".into()),
                ("set-cookie".into(), "b=2".into()),
            ]
        );
        assert_eq!(body, b"hi");
        assert!(buffered(br#"{"statusCode":1000}"#).is_err());
        assert!(buffered(br#"{"statusCode":200,"body":"%%","isBase64Encoded":true}"#).is_err());
    }

    #[test]
    fn the_prelude_ends_at_eight_zero_bytes() {
        assert_eq!(find_prelude_end(b"{}\0\0\0\0\0\0\0\0body"), Some(2));
        assert_eq!(find_prelude_end(b"{}\0\0\0\0\0\0\0"), None);
    }
}
