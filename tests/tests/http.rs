//! Handlers over `http::Request` and `http::Response` (the `http` feature), from every HTTP
//! source's event as AWS documents it: the sample events `aws_lambda_events` ships (read from
//! the crate Cargo downloaded, not copied here), and the same events edited where lambda_http
//! loses data. Each event goes through the `http_api` example run once from the command line,
//! which prints the response object the source reads.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use lambda_handler_tests::Binary;
use serde_json::{Value, json};

static HTTP_API: Binary = Binary::example("http_api");

/// `aws_lambda_events`'s `src/fixtures`, where Cargo unpacked the version the lock file names.
fn fixtures() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let output = Command::new(env!("CARGO"))
            .args(["metadata", "--format-version", "1", "--locked"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("cargo metadata runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
        let manifest = metadata["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|package| package["name"] == "aws_lambda_events")
            .expect("the examples depend on aws_lambda_events")["manifest_path"]
            .as_str()
            .unwrap()
            .to_owned();
        PathBuf::from(manifest)
            .parent()
            .unwrap()
            .join("src/fixtures")
    })
}

/// A sample event's text, as AWS wrote it: its objects' order is the order a caller sent
/// (a `serde_json::Value` here would sort their keys).
fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap()
}

/// `event` with the `fields` first in the object that `at` opens (`"headers": {`, or `{` for
/// the event itself), each of the `unused` fields renamed away.
fn edited(event: &str, at: &str, fields: &str, unused: &[&str]) -> String {
    let mut event = event.to_owned();
    for name in unused {
        event = event.replace(&format!("\"{name}\""), &format!("\"unused_{name}\""));
    }
    assert!(event.contains(at), "{at}");
    event.replacen(at, &format!("{at}{fields},"), 1)
}

/// What `handler` answers to `event`, as the source reads it, or the error it failed with.
fn invoke(handler: &str, event: &str) -> Result<Value, Value> {
    let output = Command::new(HTTP_API.path())
        .args(["--handler", handler])
        .arg(event)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    let printed: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
    if output.status.success() {
        Ok(printed)
    } else {
        Err(printed)
    }
}

/// The request the handler saw (the `http_api` example answers with it).
fn seen(answer: &Value) -> Value {
    serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
}

fn header_values<'a>(seen: &'a Value, name: &str) -> Vec<&'a str> {
    seen["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|pair| pair[0] == name)
        .map(|pair| pair[1].as_str().unwrap())
        .collect()
}

#[test]
fn an_http_api_request_arrives_whole_and_its_response_goes_back_in_payload_2_0() {
    let answer = invoke("http_api", &fixture("example-apigw-v2-request-iam")).unwrap();
    let seen = seen(&answer);
    assert_eq!(seen["source"], "HttpApi");
    assert_eq!(seen["method"], "GET");
    assert_eq!(seen["path"], "/my/path");
    // `rawQueryString` as it came: order and repeated names kept.
    assert_eq!(
        seen["query"],
        "parameter1=value1&parameter1=value2&parameter2=value"
    );
    assert_eq!(header_values(&seen, "cookie"), ["cookie1; cookie2"]);
    assert_eq!(seen["stage"], "$default");
    assert_eq!(seen["path_parameters"], json!([["proxy", "hello/world"]]));
    // A repeated header comma-joined, `Set-Cookie` in `cookies`, every one of them.
    assert_eq!(answer["statusCode"], 200);
    assert_eq!(answer["headers"]["x-multi"], "a, b");
    assert_eq!(answer["headers"].get("set-cookie"), None);
    assert_eq!(
        answer["cookies"],
        json!([
            "first=1; Path=/",
            "second=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"
        ])
    );
    assert_eq!(answer["isBase64Encoded"], false);
    assert_eq!(answer.get("multiValueHeaders"), None);
}

#[test]
fn an_http_api_path_on_a_named_stage_is_the_routes_path() {
    let event = fixture("example-apigw-v2-request-iam");
    let named = edited(&event, "{", r#""rawPath": "/prod/hello/Ada""#, &["rawPath"]);
    let named = named.replace(r#""stage": "$default""#, r#""stage": "prod""#);
    let seen_named = seen(&invoke("http_api", &named).unwrap());
    assert_eq!(seen_named["path"], "/hello/Ada");
    assert_eq!(seen_named["stage"], "prod");
    // On `$default`, a path that starts like a stage name is left alone.
    let default = edited(&event, "{", r#""rawPath": "/prod/hello""#, &["rawPath"]);
    assert_eq!(
        seen(&invoke("http_api", &default).unwrap())["path"],
        "/prod/hello"
    );
}

#[test]
fn a_function_url_request_is_told_apart_from_an_http_apis() {
    let event = fixture("example-apigw-v2-request-iam").replace(
        "id.execute-api.us-east-1.amazonaws.com",
        "abcdefg.lambda-url.us-east-1.on.aws",
    );
    let seen = seen(&invoke("http_api", &event).unwrap());
    assert_eq!(seen["source"], "FunctionUrl");
}

#[test]
fn a_rest_api_request_keeps_every_header_value_and_its_stage_out_of_the_path() {
    let event = fixture("example-apigw-request");
    // The same name in both maps: the multi-value one has every value, in order (lambda_http
    // gives the app only the single value).
    let event = edited(&event, r#""headers": {"#, r#""x-rep": "two""#, &[]);
    let event = edited(
        &event,
        r#""multiValueHeaders": {"#,
        r#""x-rep": ["one", "two"]"#,
        &[],
    );
    // Decoded values, as API Gateway gives them, in the order the caller wrote them.
    let event = edited(
        &event,
        "{",
        r#""multiValueQueryStringParameters": {"q": ["a b&c"], "z": ["1"], "a": ["é", "2"]}"#,
        &["multiValueQueryStringParameters"],
    );
    let answer = invoke("http_api", &event).unwrap();
    let seen = seen(&answer);
    assert_eq!(seen["source"], "RestApi");
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/hello/world");
    assert_eq!(seen["stage"], "testStage");
    assert_eq!(header_values(&seen, "x-rep"), ["one", "two"]);
    assert_eq!(seen["query"], "q=a%20b%26c&z=1&a=%C3%A9&a=2");
    assert_eq!(seen["body"], "{\r\n\t\"a\": 1\r\n}");
    // Only `multiValueHeaders`: API Gateway merges `headers` into it, and it holds them all.
    assert_eq!(answer.get("headers"), None);
    assert_eq!(answer["multiValueHeaders"]["x-multi"], json!(["a", "b"]));
    assert_eq!(
        answer["multiValueHeaders"]["set-cookie"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn an_alb_request_is_answered_in_the_header_mode_it_came_in() {
    let multi = invoke(
        "http_api",
        &fixture("example-alb-lambda-target-request-multivalue-headers"),
    )
    .unwrap();
    let seen_multi = seen(&multi);
    assert_eq!(seen_multi["source"], "Alb { multi_value: true }");
    assert_eq!(seen_multi["query"], "key=hello");
    assert_eq!(seen_multi["body"], "Some text");
    assert_eq!(multi["statusDescription"], "200 OK");
    assert_eq!(multi["multiValueHeaders"]["x-multi"], json!(["a", "b"]));
    assert_eq!(multi.get("headers"), None);

    // ALB passes the query as the client encoded it: it is not encoded twice.
    let event = edited(
        &fixture("example-alb-lambda-target-request-headers-only"),
        "{",
        r#""queryStringParameters": {"name": "Ada%20L", "b": "1"}"#,
        &["queryStringParameters"],
    );
    let single = invoke("http_api", &event).unwrap();
    let seen_single = seen(&single);
    assert_eq!(seen_single["source"], "Alb { multi_value: false }");
    assert_eq!(seen_single["query"], "name=Ada%20L&b=1");
    assert_eq!(single["headers"]["x-multi"], "a, b");
    assert_eq!(single.get("multiValueHeaders"), None);
}

#[test]
fn vpc_lattice_requests_of_both_versions_arrive_whole() {
    let answer = invoke("http_api", &fixture("example-vpc-lattice-v2-request")).unwrap();
    let seen2 = seen(&answer);
    assert_eq!(seen2["source"], "VpcLattice");
    assert_eq!(seen2["path"], "/health");
    assert_eq!(seen2["query"], "state=prod&multi=a&multi=DEF&multi=g");
    assert_eq!(header_values(&seen2, "multi"), ["x", "y"]);
    assert_eq!(answer["statusDescription"], "200 OK");
    assert_eq!(answer["headers"]["x-multi"], "a, b");

    // Lattice passes the query as the client encoded it: it is not encoded twice.
    let encoded = edited(
        &fixture("example-vpc-lattice-v2-request"),
        "{",
        r#""queryStringParameters": {"name": ["Ada%20L"], "b": ["1"]}"#,
        &["queryStringParameters"],
    );
    let seen_encoded = seen(&invoke("http_api", &encoded).unwrap());
    assert_eq!(seen_encoded["query"], "name=Ada%20L&b=1");

    let event = fixture("example-vpc-lattice-v2-request-base64");
    let seen_bytes = seen(&invoke("http_api", &event).unwrap());
    let event: Value = serde_json::from_str(&event).unwrap();
    let body = base64::engine::general_purpose::STANDARD
        .decode(event["body"].as_str().unwrap())
        .unwrap();
    assert_eq!(seen_bytes["body_len"], body.len());
    assert_eq!(seen_bytes["method"], "POST");

    let seen1 = seen(&invoke("http_api", &fixture("example-vpc-lattice-v1-request")).unwrap());
    assert_eq!(seen1["source"], "VpcLatticeV1");
    assert_eq!(seen1["path"], "/api/product");
    assert_eq!(
        seen1["query"],
        "category=electronics&sort=price&limit=10&tags=tv"
    );
    assert_eq!(seen1["body"], r#"{"id": 5, "description": "TV"}"#);
}

#[test]
fn a_binary_response_goes_back_base64_on_every_source() {
    for name in [
        "example-apigw-v2-request-iam",
        "example-apigw-request",
        "example-alb-lambda-target-request-headers-only",
        "example-vpc-lattice-v2-request",
    ] {
        let answer = invoke("http_png", &fixture(name)).unwrap();
        assert_eq!(answer["isBase64Encoded"], true, "{name}");
        let body = base64::engine::general_purpose::STANDARD
            .decode(answer["body"].as_str().unwrap())
            .unwrap();
        assert_eq!(body, [0x89, b'P', b'N', b'G', 0, 0xff], "{name}");
    }
}

/// A streamed `http::Response` goes to the sources that read a stream; an ALB, which reads one
/// JSON answer, gets an error that says what to return instead.
#[test]
fn a_streamed_response_to_a_source_that_reads_whole_answers_says_what_to_return() {
    for name in [
        "example-alb-lambda-target-request-headers-only",
        "example-vpc-lattice-v2-request",
        "example-apigw-v2-request-iam",
    ] {
        let error = invoke("http_stream", &fixture(name)).unwrap_err();
        assert_eq!(error["errorType"], "Runtime.StreamNotRead", "{name}");
        let message = error["errorMessage"].as_str().unwrap();
        assert!(
            message.contains("return `http::Response<Vec<u8>>`"),
            "{message}"
        );
    }
}

/// An event no HTTP source sends is `Runtime.UnmarshalError`, saying what it looks like and
/// what an HTTP source sends, in one line.
#[test]
fn an_event_that_is_not_an_http_request_says_what_it_looks_like() {
    let cases = [
        (fixture("example-sqs-event"), "looks like an SQS message"),
        (fixture("example-s3-event"), "looks like an S3 notification"),
        (
            fixture("example-apigw-websocket-request"),
            "looks like an API Gateway WebSocket event (route `$connect`)",
        ),
        (
            fixture("example-apigw-websocket-request-disconnect-route"),
            "WebSocket event (route `$disconnect`)",
        ),
        ("{}".to_owned(), "is an empty object"),
        ("[1]".to_owned(), "is a JSON array, not an object"),
        (
            r#"{"first_name": "Ada"}"#.to_owned(),
            "has the fields `first_name`",
        ),
    ];
    for (event, looks_like) in cases {
        let error = invoke("http_api", &event).unwrap_err();
        assert_eq!(error["errorType"], "Runtime.UnmarshalError");
        let message = error["errorMessage"].as_str().unwrap();
        assert!(
            message.starts_with("the event is not an HTTP request: it "),
            "{message}"
        );
        assert!(message.contains(looks_like), "{message}");
        assert!(
            message.contains("`httpMethod` and `path` (REST API"),
            "{message}"
        );
        assert!(!message.contains('\n'), "{message}");
    }
}

static AXUM_API: Binary = Binary::example("axum_api");

/// What the `axum_api` example's Router answers to `event`.
fn axum(event: &str) -> Value {
    let output = Command::new(AXUM_API.path())
        .arg(event)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn body_json(answer: &Value) -> Value {
    serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
}

/// An axum Router, with path and query extractors, routes the same request from every
/// source: each sample event edited to `GET /hello/Ada?greeting=Hi` in that source's fields.
#[test]
fn an_axum_router_routes_the_request_of_every_source() {
    let cases = [
        (
            "example-apigw-v2-request-iam",
            r#""rawPath": "/hello/Ada", "rawQueryString": "greeting=Hi""#,
            &["rawPath", "rawQueryString"][..],
        ),
        (
            "example-apigw-request",
            r#""httpMethod": "GET", "path": "/hello/Ada", "multiValueQueryStringParameters": {"greeting": ["Hi"]}"#,
            &["httpMethod", "path", "multiValueQueryStringParameters"][..],
        ),
        (
            "example-alb-lambda-target-request-multivalue-headers",
            r#""path": "/hello/Ada", "multiValueQueryStringParameters": {"greeting": ["Hi"]}"#,
            &["path", "multiValueQueryStringParameters"][..],
        ),
        (
            "example-alb-lambda-target-request-headers-only",
            r#""path": "/hello/Ada", "queryStringParameters": {"greeting": "Hi"}"#,
            &["path", "queryStringParameters"][..],
        ),
        (
            "example-vpc-lattice-v2-request",
            r#""path": "/hello/Ada", "queryStringParameters": {"greeting": ["Hi"]}"#,
            &["path", "queryStringParameters"][..],
        ),
        (
            "example-vpc-lattice-v1-request",
            r#""method": "GET", "raw_path": "/hello/Ada", "query_string_parameters": {"greeting": "Hi"}"#,
            &["method", "raw_path", "query_string_parameters"][..],
        ),
    ];
    for (name, fields, unused) in cases {
        let event = edited(&fixture(name), "{", fields, unused);
        let answer = axum(&event);
        assert_eq!(answer["statusCode"], 200, "{name}: {answer}");
        assert_eq!(body_json(&answer), json!({"message": "Hi Ada!"}), "{name}");
        // The Router's `tower-http` layer ran: its header is in the source's shape.
        let served_by = answer["headers"]["x-served-by"]
            .as_str()
            .or(answer["multiValueHeaders"]["x-served-by"][0].as_str());
        assert_eq!(served_by, Some("lambda-handler"), "{name}: {answer}");
        let missing = axum(&event.replace("/hello/Ada", "/nowhere"));
        assert_eq!(missing["statusCode"], 404, "{name}: {missing}");
    }
}

/// A JSON body in, state shared by the routes, a status, a header and two cookies out, in
/// each source's shape.
#[test]
fn an_axum_router_answers_with_its_status_headers_and_cookies_in_each_sources_shape() {
    let rest = edited(
        &fixture("example-apigw-request"),
        "{",
        r#""path": "/orders", "body": "{\"item\": \"tea\"}""#,
        &["path", "body"],
    );
    let answer = axum(&rest);
    assert_eq!(answer["statusCode"], 201, "{answer}");
    assert_eq!(
        answer["multiValueHeaders"]["location"],
        json!(["/orders/1"])
    );
    assert_eq!(
        answer["multiValueHeaders"]["set-cookie"],
        json!(["order=1; Path=/", "last=1; Path=/"])
    );
    assert_eq!(
        body_json(&answer),
        json!({"id": 1, "order": {"item": "tea"}})
    );

    let http_api = edited(
        &fixture("example-apigw-v2-request-iam"),
        "{",
        r#""rawPath": "/orders", "body": "{\"item\": \"tea\"}""#,
        &["rawPath", "body"],
    )
    .replace(r#""method": "GET""#, r#""method": "POST""#);
    let http_api = edited(
        &http_api,
        r#""headers": {"#,
        r#""content-type": "application/json""#,
        &[],
    );
    let answer = axum(&http_api);
    assert_eq!(answer["statusCode"], 201, "{answer}");
    assert_eq!(answer["headers"]["location"], "/orders/1");
    assert_eq!(
        answer["cookies"],
        json!(["order=1; Path=/", "last=1; Path=/"])
    );

    // The request's cookies reach axum as the `cookie` header.
    let cookies = edited(
        &fixture("example-apigw-v2-request-iam"),
        "{",
        r#""rawPath": "/headers""#,
        &["rawPath"],
    );
    assert_eq!(
        body_json(&axum(&cookies)),
        json!({"cookie": ["cookie1; cookie2"]})
    );
}
