//! An axum `Router` as a Lambda function: built once at init, each invocation's request
//! routed through it, from whichever HTTP source invokes the function.
//!
//! `cargo run --example axum_api -- --serve`, then
//! `curl -i 'http://127.0.0.1:9000/lambda-url/function/hello/Ada?greeting=Hi'`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use lambda_handler::lambda_handler;
use serde::Deserialize;
use serde_json::{Value, json};

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
}

fn main() {
    lambda_handler::run()
}
