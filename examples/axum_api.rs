//! An axum `Router` as a Lambda function: built once at init, each invocation's request
//! routed through it (a `tower-http` layer included), from whichever HTTP source invokes the
//! function.
//!
//! `cargo run --example axum_api -- --serve`, then
//! `curl -i 'http://127.0.0.1:9000/lambda-url/function/hello/Ada?greeting=Hi'`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use lambda_handler::lambda_handler;
use serde::Deserialize;
use serde_json::{Value, json};
use tower_http::set_header::SetResponseHeaderLayer;

/// State the routes share: built once, with the router.
#[derive(Clone, Default)]
struct Orders {
    next_id: Arc<AtomicU64>,
}

#[derive(Deserialize)]
struct Greeting {
    greeting: Option<String>,
}

async fn hello(Path(name): Path<String>, Query(query): Query<Greeting>) -> Json<Value> {
    let greeting = query.greeting.unwrap_or_else(|| "Hello".to_owned());
    Json(json!({ "message": format!("{greeting} {name}!") }))
}

async fn create_order(
    State(orders): State<Orders>,
    Json(order): Json<Value>,
) -> (StatusCode, HeaderMap, Json<Value>) {
    let id = orders.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let mut headers = HeaderMap::new();
    headers.insert("location", format!("/orders/{id}").parse().unwrap());
    headers.append("set-cookie", "order=1; Path=/".parse().unwrap());
    headers.append("set-cookie", format!("last={id}; Path=/").parse().unwrap());
    (
        StatusCode::CREATED,
        headers,
        Json(json!({ "id": id, "order": order })),
    )
}

async fn echo_headers(headers: HeaderMap) -> Json<Value> {
    let cookies: Vec<&str> = headers
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    Json(json!({ "cookie": cookies }))
}

/// The function: the Router, built once; each request is routed through it.
#[lambda_handler(service)]
fn api() -> Router {
    Router::new()
        .route("/hello/{name}", get(hello))
        .route("/orders", post(create_order))
        .route("/headers", get(echo_headers))
        .with_state(Orders::default())
        // Middleware as on a server: every response says who served it.
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("x-served-by"),
            HeaderValue::from_static("lambda-handler"),
        ))
}

fn main() {
    lambda_handler::run()
}

#[cfg(test)]
mod tests {
    use lambda_handler::testing::TestHandler;
    use serde_json::json;

    /// A service handler is tested as any handler: by its function, with an HTTP event.
    #[test]
    fn the_router_answers_an_http_api_request() {
        let mut api = TestHandler::new(super::api).unwrap();
        let event = json!({
            "version": "2.0",
            "rawPath": "/hello/Ada",
            "rawQueryString": "greeting=Hi",
            "headers": {"accept": "application/json"},
            "requestContext": {"http": {"method": "GET"}, "stage": "$default"},
            "isBase64Encoded": false
        });
        let answer = api.invoke(event).unwrap();
        assert_eq!(answer["statusCode"], 200, "{answer}");
        assert_eq!(answer["body"], r#"{"message":"Hi Ada!"}"#);
        assert_eq!(answer["headers"]["x-served-by"], "lambda-handler");
    }
}
