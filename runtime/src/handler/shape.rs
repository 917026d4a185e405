//! What one invocation's decoding tells its encoding: with the `http` feature, the HTTP source
//! an `http::Request` came from, whose shape the `http::Response` goes back in.

/// A local of the generated entry, so it is one invocation's and no other's; zero-sized
/// without the `http` feature.
#[derive(Default)]
pub struct Shape {
    #[cfg(feature = "http")]
    pub(crate) http: std::cell::Cell<Option<HttpSource>>,
}

impl Shape {
    /// An invocation's, before decoding. (An inherent function: the generated code must not
    /// need `Default` in scope, which a `#![no_implicit_prelude]` module does not have.)
    pub fn new() -> Self {
        Self::default()
    }
}

/// Which HTTP source invoked the function, and so the shape its response goes back in.
#[cfg(feature = "http")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpSource {
    /// API Gateway HTTP API, payload format 2.0
    /// (<https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html>).
    HttpApi,
    /// A Lambda function URL (the payload 2.0 shape, whose `requestContext.domainName` is a
    /// `lambda-url` domain; <https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html>).
    FunctionUrl,
    /// API Gateway REST API, the Lambda proxy integration (payload 1.0,
    /// <https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html>).
    RestApi,
    /// An Application Load Balancer target group; `multi_value` when the target group has
    /// multi-value headers on, and the response then goes back with `multiValueHeaders`
    /// (<https://docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html>).
    Alb {
        /// The request came (and the response goes back) with `multiValueHeaders`.
        multi_value: bool,
    },
    /// A VPC Lattice target group, event structure version 2
    /// (<https://docs.aws.amazon.com/vpc-lattice/latest/ug/lambda-functions.html>).
    VpcLattice,
    /// A VPC Lattice target group, event structure version 1 (snake-case fields).
    VpcLatticeV1,
}
