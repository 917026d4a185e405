//! What `#[lambda_handler]`'s generated code names. Not a public API: it changes with the
//! macro, which is pinned to this crate's exact version.

pub use linkme;

pub use crate::handler::contract::{
    ContextParam, DetectInitFuture, DetectInitValue, DetectResult, DetectValue, Encoder, Erase,
    EraseShared, EraseThreadBound, ErrorEncoder, ErrorTag, Event, HandlerError, ImplResponse,
    InitAwaited, InitReady, IsContext, Json, NotDisplay, Response, ResultKind, Shape, StateFrom,
    StreamInside, Streamed, ValueKind, ViaDisplay, ViaDynError, ViaError, ViaInto, ViaNothing,
    boxed, boxed_init, boxed_shutdown, respond, state,
};
pub use crate::handler::registry::{
    AsyncInvoke, BoxFuture, BuiltState, HANDLERS, Handler, Init, InitFuture, Output, Shutdown,
    ShutdownFuture, State, SyncInvoke, TypeIdOf, type_id_of,
};

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
