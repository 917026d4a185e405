//! An HTTP function: `http::Request` in, `http::Response` out, from whichever HTTP source
//! invokes it (API Gateway REST or HTTP API, a function URL, an ALB, VPC Lattice).
//!
//! It answers with what it was asked, as JSON, so that every source can be checked:
//! `cargo run --example http_api -- --serve`, then
//! `curl -i 'http://127.0.0.1:9000/lambda-url/http_api/echo/x?a=1&a=2' -H 'cookie: c=1'`.

use lambda_handler::http::{Request, Response, StatusCode, header};
use lambda_handler::{Context, HttpContext, Streaming, lambda_handler};
use serde_json::json;

#[lambda_handler]
fn http_api(request: Request<Vec<u8>>, ctx: &Context) -> Response<String> {
    let http = request
        .extensions()
        .get::<HttpContext>()
        .expect("the runtime puts the source's context in every request");
    if request.uri().path() == "/missing" {
        let mut response = Response::new("no such page".to_owned());
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    }
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str(), value.to_str().unwrap_or("<bytes>")))
        .collect();
    let seen = json!({
        "method": request.method().as_str(),
        "path": request.uri().path(),
        "query": request.uri().query(),
        "headers": headers,
        "body": String::from_utf8_lossy(request.body()),
        "body_len": request.body().len(),
        "source": format!("{:?}", http.source),
        "stage": http.stage,
        "path_parameters": http.path_parameters,
        "request_id": ctx.request_id,
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-multi", "a")
        .header("x-multi", "b")
        .header(header::SET_COOKIE, "first=1; Path=/")
        .header(
            header::SET_COOKIE,
            "second=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT",
        )
        .body(seen.to_string())
        .expect("the response's parts are valid")
}

/// Bytes out: sent base64 (`isBase64Encoded`), as an image must be.
#[lambda_handler]
fn http_png(request: Request<()>) -> Response<Vec<u8>> {
    let _ = request;
    Response::builder()
        .header(header::CONTENT_TYPE, "image/png")
        .body(vec![0x89, b'P', b'N', b'G', 0, 0xff])
        .expect("the response's parts are valid")
}

/// A page streamed as it is made: to a function URL (`InvokeMode: RESPONSE_STREAM`) or a REST
/// API with response streaming, the status and headers first, then each chunk.
#[lambda_handler]
fn http_stream(request: Request<()>) -> Response<Streaming> {
    let query = request.uri().query().unwrap_or("").to_owned();
    let chunks = ["<p>first</p>".to_owned(), format!("<p>{query}</p>")];
    Response::builder()
        .status(StatusCode::ACCEPTED)
        .header(header::CONTENT_TYPE, "text/html")
        .header(header::SET_COOKIE, "a=1")
        .header(header::SET_COOKIE, "b=2")
        .body(Streaming::from_chunks(futures_util::stream::iter(chunks)))
        .expect("the response's parts are valid")
}

fn main() {
    lambda_handler::run()
}
