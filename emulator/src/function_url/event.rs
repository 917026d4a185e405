//! An HTTP request as a function URL hands it to the function: API Gateway's payload format
//! 2.0, as Lambda's "Invoking Lambda function URLs" documents it (request payload format):
//! the raw path and query, the query's parameters decoded with repeated names joined by
//! commas, headers in lower case with repeated ones joined by commas, the `Cookie` header as
//! the `cookies` list, the request context (`$default` route and stage, the method, path,
//! protocol, source address and user agent, the time), and the body, base64 unless its
//! content type is text.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use hyper::HeaderMap;
use hyper::header::{CONTENT_TYPE, COOKIE, USER_AGENT};
use serde_json::{Map, Value, json};

use crate::http::percent_decode;

/// The parts of a request the event is made of.
pub(super) struct Request<'a> {
    pub(super) method: &'a str,
    /// The path after the function's prefix, `/` at least.
    pub(super) path: &'a str,
    /// The query, without its `?`; empty when there is none.
    pub(super) query: &'a str,
    pub(super) headers: &'a HeaderMap,
    pub(super) body: &'a [u8],
    pub(super) peer: Option<SocketAddr>,
}

/// The function URL's id in the event's domain name (a real one is 32 characters of the
/// account and function; this one is plainly local).
const URL_ID: &str = "local";

/// The payload format 2.0 event of `request`, for the invocation `request_id`.
pub(super) fn event(request: &Request<'_>, request_id: &str, region: &str) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut event = Map::new();
    event.insert("version".into(), json!("2.0"));
    event.insert("routeKey".into(), json!("$default"));
    event.insert("rawPath".into(), json!(request.path));
    event.insert("rawQueryString".into(), json!(request.query));
    let cookies = cookies(request.headers);
    if !cookies.is_empty() {
        event.insert("cookies".into(), json!(cookies));
    }
    event.insert("headers".into(), Value::Object(headers(request.headers)));
    if !request.query.is_empty() {
        event.insert(
            "queryStringParameters".into(),
            Value::Object(query_parameters(request.query)),
        );
    }
    let user_agent = request
        .headers
        .get(USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    event.insert(
        "requestContext".into(),
        json!({
            // The owner's account; a URL with the `NONE` auth type has no caller identity.
            "accountId": "anonymous",
            "apiId": URL_ID,
            "authentication": null,
            "authorizer": null,
            "domainName": format!("{URL_ID}.lambda-url.{region}.on.aws"),
            "domainPrefix": URL_ID,
            "http": {
                "method": request.method,
                "path": request.path,
                "protocol": "HTTP/1.1",
                "sourceIp": request.peer.map_or_else(|| "127.0.0.1".to_owned(), |p| p.ip().to_string()),
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": clf_time(now.as_secs()),
            "timeEpoch": now.as_millis() as u64,
        }),
    );
    if !request.body.is_empty() {
        let (body, encoded) = body(request.headers, request.body);
        event.insert("body".into(), json!(body));
        event.insert("isBase64Encoded".into(), json!(encoded));
    } else {
        event.insert("isBase64Encoded".into(), json!(false));
    }
    Value::Object(event)
}

/// Every header but `Cookie`, its name in lower case, repeated values joined with `,`.
fn headers(fields: &HeaderMap) -> Map<String, Value> {
    let mut headers = Map::new();
    for name in fields.keys() {
        if name == COOKIE {
            continue;
        }
        let values: Vec<String> = fields
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        headers.insert(name.as_str().to_owned(), json!(values.join(",")));
    }
    headers
}

/// The cookies of every `Cookie` header, one string each (`name=value`).
fn cookies(fields: &HeaderMap) -> Vec<String> {
    fields
        .get_all(COOKIE)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(';')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The query's parameters, percent-decoded, a repeated name's values joined with `,` in the
/// order they came.
fn query_parameters(query: &str) -> Map<String, Value> {
    let mut parameters: Map<String, Value> = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (percent_decode(name), percent_decode(value));
        match parameters.get_mut(&name) {
            Some(Value::String(joined)) => {
                joined.push(',');
                joined.push_str(&value);
            }
            _ => {
                parameters.insert(name, json!(value));
            }
        }
    }
    parameters
}

/// The body as the event carries it: as text when its content type is text (and it is
/// UTF-8), else base64 ("if the content type of the request is binary, the body is
/// base64-encoded").
fn body(fields: &HeaderMap, body: &[u8]) -> (String, bool) {
    let content_type = fields
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if lambda_handler_protocol::headers::is_text_content_type(content_type)
        && let Ok(text) = std::str::from_utf8(body)
    {
        return (text.to_owned(), false);
    }
    (base64::engine::general_purpose::STANDARD.encode(body), true)
}

/// The Common Log Format time of `epoch_seconds`, UTC: `12/Mar/2020:19:03:58 +0000`.
fn clf_time(epoch_seconds: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    // `timestamp` writes `2020-03-12T19:03:58.000Z`.
    let iso = lambda_handler_protocol::log_format::timestamp(
        UNIX_EPOCH + std::time::Duration::from_secs(epoch_seconds),
    );
    let (year, month, day) = (&iso[0..4], &iso[5..7], &iso[8..10]);
    let month = MONTHS[month.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1];
    format!("{day}/{month}/{year}:{} +0000", &iso[11..19])
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn the_event_is_payload_format_2_0_as_function_urls_send_it() {
        let mut fields = HeaderMap::new();
        fields.append("x-multi", HeaderValue::from_static("a"));
        fields.append("x-multi", HeaderValue::from_static("b"));
        fields.append(COOKIE, HeaderValue::from_static("one=1; two=2"));
        fields.append(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let request = Request {
            method: "POST",
            path: "/orders/7",
            query: "a=1&a=2&name=Ada%20L&plus=a+b",
            headers: &fields,
            body: br#"{"k":1}"#,
            peer: None,
        };
        let event = event(&request, "id-1", "us-east-1");
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["rawPath"], "/orders/7");
        assert_eq!(event["rawQueryString"], "a=1&a=2&name=Ada%20L&plus=a+b");
        assert_eq!(
            event["queryStringParameters"],
            json!({"a": "1,2", "name": "Ada L", "plus": "a+b"})
        );
        assert_eq!(event["headers"]["x-multi"], "a,b");
        assert!(event["headers"].get("cookie").is_none());
        assert_eq!(event["cookies"], json!(["one=1", "two=2"]));
        assert_eq!(event["body"], r#"{"k":1}"#);
        assert_eq!(event["isBase64Encoded"], false);
        let context = &event["requestContext"];
        assert_eq!(context["http"]["method"], "POST");
        assert_eq!(context["http"]["path"], "/orders/7");
        assert_eq!(context["requestId"], "id-1");
        assert_eq!(context["stage"], "$default");
        assert!(event.get("pathParameters").is_none());
    }

    #[test]
    fn a_binary_body_is_base64() {
        let mut fields = HeaderMap::new();
        fields.append(CONTENT_TYPE, HeaderValue::from_static("image/png"));
        let (body, encoded) = body(&fields, &[0x89, b'P', b'N', b'G']);
        assert_eq!((body.as_str(), encoded), ("iVBORw==", true));
        let is_text = lambda_handler_protocol::headers::is_text_content_type;
        assert!(is_text("text/html; charset=utf-8") && is_text("application/vnd.api+json"));
        assert!(!is_text("application/octet-stream"));
    }

    #[test]
    fn times_are_in_common_log_format() {
        assert_eq!(clf_time(1_583_348_638), "04/Mar/2020:19:03:58 +0000");
    }
}
