//! An `http::Response`, written in the shape its request's source reads.

use base64::Engine as _;
use hyper::http::{HeaderMap, Response, header};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{HttpSource, ResponseBody};
use crate::handler::error::InvocationError;

/// Writes `response` into `out` as `source` reads a Lambda function's answer.
pub(super) fn encode<B: ResponseBody>(
    response: Response<B>,
    source: HttpSource,
    out: &mut Vec<u8>,
) -> Result<(), InvocationError> {
    let (parts, body) = response.into_parts();
    let (bytes, text) = body.__lambda_handler_into_bytes();
    let (body, is_base64_encoded) = body_text(bytes, text, &parts.headers);
    let status = parts.status;
    let headers = &parts.headers;
    let answer = Answer {
        status_code: status.as_u16(),
        // ALB and Lattice put it in the status line; the others have none.
        status_description: match source {
            HttpSource::Alb { .. } | HttpSource::VpcLattice | HttpSource::VpcLatticeV1 => {
                Some(format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("")
                ))
            }
            _ => None,
        },
        headers: match source {
            // Payload 2.0 joins a repeated header's values with commas (as HTTP allows), and
            // takes `Set-Cookie` (which commas would break) in `cookies`.
            HttpSource::HttpApi | HttpSource::FunctionUrl => Some(Joined(headers, false)),
            // One value per name: commas join the others; only the last `Set-Cookie` can go
            // (an ALB target group needs multi-value headers on for several).
            HttpSource::Alb { multi_value: false }
            | HttpSource::VpcLattice
            | HttpSource::VpcLatticeV1 => Some(Joined(headers, true)),
            HttpSource::RestApi | HttpSource::Alb { multi_value: true } => None,
        },
        // API Gateway REST APIs merge `headers` into `multiValueHeaders`: sending only the
        // latter keeps every value of every header, in order.
        multi_value_headers: match source {
            HttpSource::RestApi | HttpSource::Alb { multi_value: true } => Some(Multi(headers)),
            _ => None,
        },
        cookies: match source {
            HttpSource::HttpApi | HttpSource::FunctionUrl => Some(
                headers
                    .get_all(header::SET_COOKIE)
                    .iter()
                    .map(|value| String::from_utf8_lossy(value.as_bytes()))
                    .collect(),
            ),
            _ => None,
        },
        body,
        is_base64_encoded,
    };
    serde_json::to_writer(out, &answer).map_err(InvocationError::marshal)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    status_code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    status_description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<Joined<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_value_headers: Option<Multi<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cookies: Option<Vec<std::borrow::Cow<'a, str>>>,
    body: String,
    is_base64_encoded: bool,
}

/// Headers as `{name: "value, value"}`; `Set-Cookie` left out (`false`) or its last value
/// (`true`).
struct Joined<'a>(&'a HeaderMap, bool);

impl Serialize for Joined<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Joined(headers, with_cookie) = *self;
        let mut map = serializer.serialize_map(Some(headers.keys_len()))?;
        for name in headers.keys() {
            let values = headers.get_all(name);
            if name == header::SET_COOKIE {
                if let Some(last) = values.iter().next_back().filter(|_| with_cookie) {
                    map.serialize_entry(name.as_str(), &String::from_utf8_lossy(last.as_bytes()))?;
                }
                continue;
            }
            let mut joined = String::new();
            for value in values {
                if !joined.is_empty() {
                    joined.push_str(", ");
                }
                joined.push_str(&String::from_utf8_lossy(value.as_bytes()));
            }
            map.serialize_entry(name.as_str(), &joined)?;
        }
        map.end()
    }
}

/// Headers as `{name: ["value", "value"]}`.
struct Multi<'a>(&'a HeaderMap);

impl Serialize for Multi<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.keys_len()))?;
        for name in self.0.keys() {
            let values: Vec<_> = self
                .0
                .get_all(name)
                .iter()
                .map(|value| String::from_utf8_lossy(value.as_bytes()))
                .collect();
            map.serialize_entry(name.as_str(), &values)?;
        }
        map.end()
    }
}

/// The body as the source's `body` string: as it is when it is text, base64 otherwise. Text
/// is a `String` body, or bytes whose `Content-Type` is textual, that are UTF-8 and have no
/// `Content-Encoding` (a gzipped JSON body is bytes).
fn body_text(mut bytes: Vec<u8>, text: bool, headers: &HeaderMap) -> (String, bool) {
    let encoded = headers.contains_key(header::CONTENT_ENCODING);
    let textual = text
        || headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_none_or(lambda_handler_protocol::headers::is_text_content_type);
    if textual && !encoded {
        match String::from_utf8(bytes) {
            Ok(text) => return (text, false),
            Err(error) => bytes = error.into_bytes(),
        }
    }
    (
        base64::engine::general_purpose::STANDARD.encode(bytes),
        true,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::http::HeaderValue;

    fn with_type(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        headers
    }

    #[test]
    fn bytes_are_text_only_when_their_type_says_so_and_they_are_utf8() {
        let json = with_type("application/problem+json; charset=utf-8");
        assert_eq!(
            body_text(b"{}".to_vec(), false, &json),
            ("{}".into(), false)
        );
        let png = with_type("image/png");
        assert_eq!(
            body_text(b"ab".to_vec(), false, &png),
            ("YWI=".into(), true)
        );
        // A textual type over bytes that are not UTF-8 goes as base64, never lossily.
        assert_eq!(
            body_text(vec![0xff], false, &with_type("text/plain")),
            ("/w==".into(), true)
        );
        // A `String` is text whatever its type, unless it is compressed.
        assert_eq!(body_text(b"ab".to_vec(), true, &png), ("ab".into(), false));
        let mut gzipped = with_type("application/json");
        gzipped.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        assert_eq!(
            body_text(b"ab".to_vec(), true, &gzipped),
            ("YWI=".into(), true)
        );
    }
}
