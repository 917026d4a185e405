use lambda_handler::http::{Request, Response, StatusCode, header};
use lambda_handler::{Context, HttpContext, lambda_handler};

// The README's "HTTP APIs" handler, as written there.
#[lambda_handler]
fn api(request: Request<String>) -> Response<String> {
    let context = request.extensions().get::<HttpContext>();
    let stage = context.and_then(|c| c.stage.as_deref()).unwrap_or("none");
    match request.uri().path() {
        "/hello" => Response::builder()
            .header(header::CONTENT_TYPE, "text/plain")
            .body(format!("Hello from stage {stage}!"))
            .unwrap(),
        _ => {
            let mut missing = Response::new("no such page".to_owned());
            *missing.status_mut() = StatusCode::NOT_FOUND;
            missing
        }
    }
}

#[lambda_handler]
fn text(request: Request<String>, ctx: &Context) -> Response<String> {
    Response::new(format!("{} {}", request.body(), ctx.request_id))
}

#[lambda_handler]
async fn bytes(request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, std::io::Error> {
    Ok(Response::new(request.into_body()))
}

#[lambda_handler]
fn empty(_request: Request<()>) -> Response<()> {
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

#[lambda_handler]
fn fixed(_request: Request<()>) -> Response<&'static str> {
    Response::new("ok")
}

#[lambda_handler]
async fn created(request: Request<String>) -> (StatusCode, String) {
    (StatusCode::CREATED, request.into_body())
}

#[lambda_handler]
fn with_headers(_request: Request<()>) -> Result<(StatusCode, lambda_handler::http::HeaderMap, Vec<u8>), std::io::Error> {
    Ok((StatusCode::OK, lambda_handler::http::HeaderMap::new(), Vec::new()))
}

fn main() {}
