//! The bench's axum Router on lambda_http, as its README runs an axum app.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    lambda_http::run(bench_http_router::router()).await
}
