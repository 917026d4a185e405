//! What `#[lambda_handler]`'s generated code names. Not a public API: it changes with the
//! macro, which is pinned to this crate's exact version.

pub use linkme;

pub use crate::contract::{
    ContextParam, DetectResult, DetectValue, Encoder, Event, HandlerError, Response, ResultKind,
    ValueKind, boxed, context_param, decode, err_encoder, ok_encoder, respond,
};
pub use crate::registry::{AsyncInvoke, BoxFuture, HANDLERS, Handler, SyncInvoke};
