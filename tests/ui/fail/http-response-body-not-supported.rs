use lambda_handler::http::{Request, Response};
use lambda_handler::lambda_handler;

#[lambda_handler]
fn handler(request: Request<String>) -> Response<u32> {
    Response::new(request.body().len() as u32)
}

fn main() {}
