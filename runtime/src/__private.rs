//! What `#[lambda_handler]`'s generated code names. Not a public API: it changes with the
//! macro, which is pinned to this crate's exact version.

pub use linkme;

pub use crate::contract::{
    ContextParam, DetectResult, DetectValue, Encoder, ErrorEncoder, ErrorTag, Event, HandlerError,
    IsContext, Response, ResultKind, ValueKind, ViaDisplay, ViaDynError, ViaError, ViaInto, boxed,
    ok_encoder, respond,
};
pub use crate::registry::{AsyncInvoke, BoxFuture, HANDLERS, Handler, SyncInvoke};

/// Emits its input unchanged: the generated entry passes through it so that a failed import
/// of this module silences everything inside (see the macro's `expand.rs`).
#[doc(hidden)]
#[macro_export]
macro_rules! __lambda_handler_entry {
    ($($item:tt)*) => {
        $($item)*
    };
}

pub use crate::__lambda_handler_entry as entry;
