//! The body types an HTTP handler's request and response may have.

use crate::handler::error::InvocationError;

/// A body type an HTTP handler's request may have: `http::Request<B>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the body of a Lambda handler's HTTP request",
    label = "the request body's type",
    note = "take `http::Request<String>` for a text body, or `http::Request<Vec<u8>>` for any bytes (a base64 body arrives decoded)"
)]
pub trait RequestBody: Sized {
    /// The body from its bytes (decoded from base64 when the source sent it so).
    #[doc(hidden)]
    fn __lambda_handler_from_bytes(bytes: Vec<u8>) -> Result<Self, InvocationError>;
}

impl RequestBody for Vec<u8> {
    fn __lambda_handler_from_bytes(bytes: Vec<u8>) -> Result<Self, InvocationError> {
        Ok(bytes)
    }
}

/// The body is not read (a `GET` handler, or one that takes only the path and headers).
impl RequestBody for () {
    fn __lambda_handler_from_bytes(_: Vec<u8>) -> Result<Self, InvocationError> {
        Ok(())
    }
}

impl RequestBody for String {
    fn __lambda_handler_from_bytes(bytes: Vec<u8>) -> Result<Self, InvocationError> {
        String::from_utf8(bytes).map_err(|error| {
            InvocationError::unmarshal(
                "body",
                format!(
                    "the request body is not UTF-8 ({error}): take `http::Request<Vec<u8>>` for \
                     bytes"
                ),
            )
        })
    }
}

/// A body type an HTTP handler's response may have: `http::Response<B>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the body of a Lambda handler's HTTP response",
    label = "the response body's type",
    note = "return `http::Response<String>` (or `&'static str`) for text, `http::Response<Vec<u8>>` for bytes, or `http::Response<()>` for no body"
)]
pub trait ResponseBody {
    /// The body's bytes, and whether they are text whatever the content type says.
    #[doc(hidden)]
    fn __lambda_handler_into_bytes(self) -> (Vec<u8>, bool);
}

impl ResponseBody for String {
    fn __lambda_handler_into_bytes(self) -> (Vec<u8>, bool) {
        (self.into_bytes(), true)
    }
}

impl ResponseBody for &'static str {
    fn __lambda_handler_into_bytes(self) -> (Vec<u8>, bool) {
        (self.as_bytes().to_vec(), true)
    }
}

impl ResponseBody for Vec<u8> {
    fn __lambda_handler_into_bytes(self) -> (Vec<u8>, bool) {
        (self, false)
    }
}

impl ResponseBody for () {
    fn __lambda_handler_into_bytes(self) -> (Vec<u8>, bool) {
        (Vec::new(), true)
    }
}
