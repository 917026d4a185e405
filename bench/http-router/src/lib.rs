//! The Router of the bench's HTTP row: `GET /hello/{name}?greeting=..` answers JSON, through
//! axum's path and query extractors, as a typical API route does. `/echo/..` answers with the
//! request as the app saw it, a repeated header and two cookies: the differential against
//! lambda_http (`cargo run --release -- http-diff`) compares what each runtime loses.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize)]
struct Greeting {
    greeting: Option<String>,
}

#[derive(Serialize)]
struct Message {
    message: String,
}

async fn hello(Path(name): Path<String>, Query(query): Query<Greeting>) -> Json<Message> {
    let greeting = query.greeting.as_deref().unwrap_or("Hello");
    Json(Message {
        message: format!("{greeting} {name}!"),
    })
}

async fn echo(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> impl IntoResponse {
    let headers: Vec<(&str, String)> = headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let seen = json!({
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": headers,
        "body": String::from_utf8_lossy(&body),
    });
    (
        AppendHeaders([
            ("x-multi", "a"),
            ("x-multi", "b"),
            (header::SET_COOKIE.as_str(), "first=1; Path=/"),
            (header::SET_COOKIE.as_str(), "second=2; Path=/"),
        ]),
        Json(seen),
    )
}

/// The app.
pub fn router() -> Router {
    Router::new()
        .route("/hello/{name}", get(hello))
        .route("/echo", any(echo))
        .route("/echo/{*rest}", any(echo))
}
