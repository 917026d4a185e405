//! The bench's axum Router on lambda-handler, as the README's "HTTP APIs" writes it.

use lambda_handler::http::{Request, Response};
use lambda_handler::{BoxError, lambda_handler};

#[lambda_handler(init = bench_http_router::router)]
async fn api(request: Request<Vec<u8>>, app: &axum::Router) -> Result<Response<Vec<u8>>, BoxError> {
    lambda_handler::call_service(app, request).await
}

fn main() {
    lambda_handler::run()
}
