//! A `tower::Service` over HTTP (an axum `Router`) as a handler's whole body: the request
//! handed to it, its response body gathered, as one call.

use std::error::Error;
use std::future::poll_fn;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::http::{Request, Response};

/// The error of a service or of its response body.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// Calls `service` (built once, by the handler's `init`) with the request, and gathers its
/// response body: the whole of an HTTP handler that an axum `Router`, or any
/// `tower::Service` over `http` types, answers.
///
/// ```ignore
/// use lambda_handler::http::{Request, Response};
/// use lambda_handler::{lambda_handler, BoxError};
///
/// fn app() -> axum::Router {
///     axum::Router::new().route("/hello/{name}", axum::routing::get(hello))
/// }
///
/// #[lambda_handler(init = app)]
/// async fn api(request: Request<Vec<u8>>, app: &axum::Router) -> Result<Response<Vec<u8>>, BoxError> {
///     lambda_handler::call_service(app, request).await
/// }
/// ```
///
/// (`examples/axum_api.rs` is this, tested through every HTTP source.)
///
/// The service gets the request with an [`http_body_util::Full`] body of the request's bytes
/// (any body axum takes). The service is cloned for the call, as tower's `oneshot` does: an
/// axum `Router` clones a pointer. Its error, or its body's, is the invocation's error.
pub async fn call_service<S, B>(
    service: &S,
    request: Request<Vec<u8>>,
) -> Result<Response<Vec<u8>>, BoxError>
where
    S: tower_service::Service<Request<Full<Bytes>>, Response = Response<B>> + Clone,
    S::Error: Into<BoxError>,
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    let mut service = service.clone();
    poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(Into::into)?;
    let request = request.map(|body| Full::new(Bytes::from(body)));
    let response = service.call(request).await.map_err(Into::into)?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.map_err(Into::into)?.to_bytes();
    Ok(Response::from_parts(parts, Vec::from(body)))
}

/// What `#[lambda_handler(service)]` calls: [`call_service`] on the type the user's function
/// returns, named as `<Service as HttpService>::..`, so that a type that is not a service is
/// one error on the user's return type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `tower::Service` of HTTP requests",
    label = "`#[lambda_handler(service)]` needs a service that answers `http::Request`s",
    note = "return an `axum::Router` (with its state given, `.with_state(..)`), or any `Clone` `tower::Service<http::Request<http_body_util::Full<bytes::Bytes>>>` whose response is an `http::Response`"
)]
pub trait HttpService<Kind> {
    /// Routes one request through the service.
    #[doc(hidden)]
    fn __lambda_handler_call(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, BoxError>>;
}

#[diagnostic::do_not_recommend]
impl<S, B> HttpService<Tower> for S
where
    S: tower_service::Service<Request<Full<Bytes>>, Response = Response<B>> + Clone,
    S::Error: Into<BoxError>,
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    fn __lambda_handler_call(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, BoxError>> {
        call_service(self, request)
    }
}

/// The kind of a `tower::Service`.
pub struct Tower;

/// No type is one: the impl over it exists only so that rustc, facing two impls, reports
/// [`HttpService`]'s own message on a type that is not a service rather than the bound the
/// other impl failed (which names `tower_service` and the body type, not what to return).
pub trait NotAService {}

#[diagnostic::do_not_recommend]
impl<S: NotAService> HttpService<std::convert::Infallible> for S {
    fn __lambda_handler_call(
        &self,
        _: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, BoxError>> {
        std::future::pending()
    }
}
