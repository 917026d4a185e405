//! The handler contract: what `#[lambda_handler]`'s generated code is checked against and
//! calls, the registry of a binary's handlers, and one call of a handler with what it gets
//! (the event, the context) and gives (a response, a stream, or an error).
//!
//! - `contract`: the traits each of a handler's types must implement, with rustc's messages.
//! - `registry`: the registered handlers and the choice of the one to serve.
//! - `invoke`: one call of a handler: decode, call, encode, panics caught.
//! - `unwind`: a panic in user code as that call's error.
//! - `context`, `error`, `streaming`: what a handler gets and gives (public types).
//! - `json`: the writer a response is encoded with.
//! - `shape`: what decoding tells encoding (an HTTP request's source).

pub(crate) mod context;
pub(crate) mod contract;
pub(crate) mod error;
pub(crate) mod invoke;
pub(crate) mod json;
pub(crate) mod registry;
pub(crate) mod shape;
pub(crate) mod streaming;
pub(crate) mod unwind;
