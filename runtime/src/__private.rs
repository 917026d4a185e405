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

#[cfg(feature = "durable")]
pub use crate::durable::{DurableEvent, DurableOutput, DurableReturn, run as run_durable};
/// The event a `#[lambda_handler(durable)]` handler takes: Lambda's durable envelope.
pub type DurableEnvelope = serde_json::Value;
/// The error of a durable invocation that Lambda should try again.
pub type DurableInvocationError = crate::handler::error::InvocationError;

/// `#[lambda_handler(durable)]`'s check of the second parameter's type.
#[cfg(feature = "durable")]
pub fn durable_context<T: IsDurableContext>() {}

/// The type a durable handler's second parameter must be.
#[cfg(feature = "durable")]
#[diagnostic::on_unimplemented(
    message = "a durable handler's second parameter is `lambda_handler::durable::DurableContext`",
    label = "this must be `DurableContext`, taken by value",
    note = "`async fn order(event: Order, ctx: DurableContext) -> Result<Receipt, MyError>`"
)]
pub trait IsDurableContext {}

#[cfg(feature = "durable")]
impl IsDurableContext for crate::durable::DurableContext {}

/// Without the `durable` feature, what `#[lambda_handler(durable)]` names: no type
/// implements it, so the one error says what to turn on.
#[cfg(not(feature = "durable"))]
#[diagnostic::on_unimplemented(
    message = "`#[lambda_handler(durable)]` needs the `durable` feature of lambda-handler",
    label = "durable functions are built only with the `durable` feature",
    note = "in Cargo.toml: `lambda-handler = {{ version = \"0.1\", features = [\"durable\"] }}`"
)]
pub trait DurableFeature {}

/// See [`DurableFeature`].
#[cfg(not(feature = "durable"))]
pub fn durable_context<T: DurableFeature>() {}

/// See [`DurableFeature`]: never runs.
#[cfg(not(feature = "durable"))]
pub async fn run_durable<Ev, R, F>(
    _: DurableEnvelope,
    _: fn(&str) -> Result<Ev, serde_json::Error>,
    _: fn(R),
    _: F,
) -> Result<DurableOutput, DurableInvocationError> {
    unreachable!("`#[lambda_handler(durable)]` does not compile without the `durable` feature")
}

/// See [`DurableFeature`]: every type, so that its error is the only one.
#[cfg(not(feature = "durable"))]
pub trait DurableEvent: Sized {
    /// Never called.
    fn __lambda_handler_decode(input: &str) -> Result<Self, serde_json::Error>;
}

#[cfg(not(feature = "durable"))]
impl<T> DurableEvent for T {
    fn __lambda_handler_decode(_: &str) -> Result<Self, serde_json::Error> {
        unreachable!("`#[lambda_handler(durable)]` does not compile without the `durable` feature")
    }
}

/// See [`DurableFeature`]: every type, so that its error is the only one.
#[cfg(not(feature = "durable"))]
pub trait DurableReturn {
    /// Never called.
    fn __lambda_handler_outcome(self);
}

#[cfg(not(feature = "durable"))]
impl<T> DurableReturn for T {
    fn __lambda_handler_outcome(self) {}
}

/// See [`DurableFeature`].
#[cfg(not(feature = "durable"))]
pub type DurableOutput = ();
