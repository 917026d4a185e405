//! An API Gateway HTTP API (payload format 2.0) handler: the request in, a proper HTTP
//! response out (status, headers, body), with the event types of `aws_lambda_events`.

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::header::{CONTENT_TYPE, HeaderValue};
use lambda_handler::{Context, lambda_handler};
use serde_json::json;

#[lambda_handler]
fn http(request: ApiGatewayV2httpRequest, ctx: &Context) -> ApiGatewayV2httpResponse {
    let method = request.request_context.http.method.as_str();
    match (method, request.raw_path.as_deref()) {
        ("GET", Some("/hello")) => {
            let name = request
                .query_string_parameters
                .first("name")
                .unwrap_or("world");
            respond(
                200,
                json!({ "message": format!("Hello {name}!"), "request_id": ctx.request_id }),
            )
        }
        (_, path) => respond(
            404,
            json!({ "message": format!("no route for {method} {}", path.unwrap_or("/")) }),
        ),
    }
}

fn respond(status: i64, body: serde_json::Value) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = status;
    response
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.body = Some(Body::Text(body.to_string()));
    response
}

fn main() {
    lambda_handler::run()
}
