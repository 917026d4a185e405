use lambda_handler::http::{Request, Response};
use lambda_handler::lambda_handler;

#[lambda_handler]
fn handler(request: Request<u32>) -> Response<String> {
    Response::new(request.body().to_string())
}

fn main() {}
