//! The `#[lambda_handler]` attribute of [`lambda-handler`](https://docs.rs/lambda-handler).
//!
//! Depend on `lambda-handler`, which re-exports this attribute with its documentation; the
//! code this macro generates names the runtime only through `::lambda_handler::__private`.

#![warn(missing_docs, unreachable_pub)]

mod args;
mod durable;
mod expand;
mod item;
mod service;
mod signature;
mod validate;

use proc_macro::TokenStream;

/// Registers a function as a Lambda handler. See `lambda_handler::lambda_handler`.
#[proc_macro_attribute]
pub fn lambda_handler(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::lambda_handler(args.into(), item.into()).into()
}
