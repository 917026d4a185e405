use std::convert::Infallible;
use std::future::{Ready, ready};
use std::task::{Context, Poll};

use http_body_util::Full;
use hyper::body::Bytes;
use lambda_handler::http::{Request, Response};
use lambda_handler::lambda_handler;

/// A service as a framework's router is one: `Clone`, over `http` types.
#[derive(Clone)]
struct Echo;

impl tower_service::Service<Request<Full<Bytes>>> for Echo {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        ready(Ok(Response::new(request.into_body())))
    }
}

#[lambda_handler(service)]
fn echo() -> Echo {
    Echo
}

#[lambda_handler(service, name = "async_built", shutdown = done)]
async fn built_async() -> Echo {
    Echo
}

fn done(_: &Echo) {}

fn main() {}
