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

#[cfg(feature = "tower")]
pub use crate::http_events::{HttpService, NotAService, Tower};

/// The request a `#[lambda_handler(service)]` handler takes.
#[cfg(feature = "tower")]
pub type ServiceRequest = hyper::http::Request<Vec<u8>>;
/// The response a `#[lambda_handler(service)]` handler returns.
#[cfg(feature = "tower")]
pub type ServiceResponse = hyper::http::Response<Vec<u8>>;
/// Without the `tower` feature, an event and a result that need no other feature, so that
/// the one error is [`HttpService`]'s, saying to turn `tower` on.
#[cfg(not(feature = "tower"))]
pub type ServiceRequest = serde_json::Value;
/// See [`ServiceRequest`].
#[cfg(not(feature = "tower"))]
pub type ServiceResponse = ();
/// The error of a `#[lambda_handler(service)]` handler: its service's, or its body's.
pub type ServiceError = Box<dyn std::error::Error + Send + Sync>;

/// What `#[lambda_handler(service)]` names without the `tower` feature: no type implements
/// it, so the one error says what to turn on.
#[cfg(not(feature = "tower"))]
#[diagnostic::on_unimplemented(
    message = "`#[lambda_handler(service)]` needs the `tower` feature of lambda-handler",
    label = "this service answers HTTP requests only with the `tower` feature",
    note = "in Cargo.toml: `lambda-handler = {{ version = \"0.1\", features = [\"tower\"] }}`"
)]
pub trait HttpService<Kind> {
    /// Never called: no type implements this trait.
    #[doc(hidden)]
    fn __lambda_handler_call(
        &self,
        request: ServiceRequest,
    ) -> impl std::future::Future<Output = Result<ServiceResponse, ServiceError>>;
}
