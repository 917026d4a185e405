//! The compile-time contract between `#[lambda_handler]` and the runtime: the traits a
//! handler's types must implement, with the messages rustc shows when they do not, and the
//! steps of the generated entry (decode, call, encode).
//!
//! Every bound lives in exactly one function here, and the macro spans each call at the
//! user's own type, so a mistake is reported once, on the token that holds it.

use std::any::Any;
use std::cell::Cell;
use std::convert::Infallible;
use std::error::Error;
use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::handler::context::Context;
use crate::handler::error::InvocationError;
use crate::handler::registry::{BoxFuture, BuiltState, Output, State};
pub use crate::handler::shape::Shape;
use crate::handler::streaming::Streaming;

/// A type a Lambda event decodes into.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the event of a Lambda handler",
    label = "the event type must implement `serde::Deserialize` and own its data",
    note = "every type in `{Self}` must implement `serde::Deserialize`: derive it with `#[derive(serde::Deserialize)]`, or take `serde_json::Value` to accept any JSON event"
)]
// The `http` feature's impl for `http::Request<B>` (which rustc is told not to show: it
// would point into this crate's source) takes the bodies this note names.
#[cfg_attr(
    feature = "http",
    diagnostic::on_unimplemented(
        note = "an HTTP handler takes `http::Request<B>` with `B` one of `String`, `Vec<u8>` or `()`"
    )
)]
pub trait Event<Kind = Json>: Sized {
    /// Decodes the event, reporting a mismatch as `Runtime.UnmarshalError`, and notes in
    /// `shape` how the answer must be written (an HTTP source's response shape). The
    /// generated entry calls it as `<UserType as Event<_>>::__lambda_handler_decode`: a type
    /// that is not an event is then reported at the user's type, with no note pointing in
    /// here (which a `DeserializeOwned` supertrait or a bounded function would add).
    fn __lambda_handler_decode(event: &[u8], shape: &Shape) -> Result<Self, InvocationError>;
}

/// The kind of event (and of result) that serde decodes (and encodes) as JSON. `Event` and
/// [`Response`] take a kind so that types of other crates (`http::Request`) can have impls
/// beside the blanket one over serde's traits without overlapping it.
pub struct Json;

#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> Event<Json> for T {
    fn __lambda_handler_decode(event: &[u8], _: &Shape) -> Result<Self, InvocationError> {
        serde_json::from_slice(event).map_err(|_| unmarshal_error::<T>(event))
    }
}

/// A type a Lambda handler can return.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the result of a Lambda handler",
    label = "a Lambda handler's result must implement `serde::Serialize`",
    note = "every type in `{Self}` must implement `serde::Serialize`: derive it with `#[derive(serde::Serialize)]`, or return `serde_json::Value`; to stream a response, return `lambda_handler::Streaming`"
)]
#[cfg_attr(
    feature = "http",
    diagnostic::on_unimplemented(
        note = "an HTTP handler returns `http::Response<B>` with `B` one of `String`, `&'static str`, `Vec<u8>` or `()`"
    )
)]
pub trait Response<Kind = Json> {
    /// Writes the result as the response body in `out` (in the shape decoding noted), or
    /// hands over the stream that is the response.
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        shape: &Shape,
    ) -> Result<Output, InvocationError>;
}

#[diagnostic::do_not_recommend]
impl<T: Serialize> Response<Json> for T {
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        _: &Shape,
    ) -> Result<Output, InvocationError> {
        crate::handler::json::to_writer(out, &self).map_err(InvocationError::marshal)?;
        Ok(Output::Buffered)
    }
}

/// The kind of a streamed result.
pub struct Streamed;

/// A streamed response is sent as the stream yields it (see [`Streaming`]).
#[diagnostic::do_not_recommend]
impl Response<Streamed> for Streaming {
    fn __lambda_handler_encode(
        self,
        _: &mut Vec<u8>,
        _: &Shape,
    ) -> Result<Output, InvocationError> {
        Ok(Output::Streamed(self))
    }
}

/// [`Response`], for a handler that returns `impl Trait`: the same bound, with advice for it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the result of a Lambda handler",
    label = "a Lambda handler's result must implement `serde::Serialize`",
    note = "return `impl serde::Serialize` (the value's type must implement it), or a type that derives `serde::Serialize`; to stream a response, return `lambda_handler::Streaming`"
)]
pub trait ImplResponse<Kind = Json> {
    /// As [`Response::__lambda_handler_encode`].
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        shape: &Shape,
    ) -> Result<Output, InvocationError>;
}

#[diagnostic::do_not_recommend]
impl<Kind, T: Response<Kind>> ImplResponse<Kind> for T {
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        shape: &Shape,
    ) -> Result<Output, InvocationError> {
        Response::__lambda_handler_encode(self, out, shape)
    }
}

/// [`Response`], for a result type with [`Streaming`] inside it (`Option<Streaming>`): the
/// same bound, with advice for it.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the result of a Lambda handler",
    label = "a stream is the whole response: it cannot be part of another value",
    note = "return `lambda_handler::Streaming` itself, or `Result<Streaming, E>` to fail before streaming; a stream that ends at once sends an empty response"
)]
pub trait StreamInside<Kind = Json> {
    /// As [`Response::__lambda_handler_encode`].
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        shape: &Shape,
    ) -> Result<Output, InvocationError>;
}

#[diagnostic::do_not_recommend]
impl<Kind, T: Response<Kind>> StreamInside<Kind> for T {
    fn __lambda_handler_encode(
        self,
        out: &mut Vec<u8>,
        shape: &Shape,
    ) -> Result<Output, InvocationError> {
        Response::__lambda_handler_encode(self, out, shape)
    }
}

/// How a handler's (or its init function's) `Err(E)` becomes Lambda's error body: the encoder
/// [`ErrorTag`]'s levels picked, taken as
/// `HandlerError::__lambda_handler_encoder(&result, picked)`. The last level picks
/// [`NotDisplay`] for an error type none of the others takes, and `E` implements this trait
/// only for the encoders: the one compile error, on the user's error type, in their names.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error Lambda reports",
    label = "the error of a handler or of its init function must implement `std::fmt::Display`",
    note = "implement `std::fmt::Display` for `{Self}` (the message Lambda reports), or return `Box<dyn std::error::Error + Send + Sync>` or `anyhow::Error`"
)]
pub trait HandlerError<Picked>: Sized {
    /// The encoder of `result`'s error.
    fn __lambda_handler_encoder<T>(result: &Result<T, Self>, picked: Picked) -> ErrorEncoder<Self>;
}

#[diagnostic::do_not_recommend]
impl<E> HandlerError<ErrorEncoder<E>> for E {
    fn __lambda_handler_encoder<T>(_: &Result<T, E>, picked: ErrorEncoder<E>) -> ErrorEncoder<E> {
        picked
    }
}

/// Never picked: a second implementation, so that rustc does not infer the one above for a
/// [`NotDisplay`] and report a type mismatch instead of the trait's message.
#[diagnostic::do_not_recommend]
impl<E> HandlerError<std::convert::Infallible> for E {
    fn __lambda_handler_encoder<T>(
        _: &Result<T, E>,
        never: std::convert::Infallible,
    ) -> ErrorEncoder<E> {
        match never {}
    }
}

/// What the last level of [`ErrorTag`] picks: an error type without `Display`, which Lambda
/// has no message for.
pub struct NotDisplay<E>(PhantomData<E>);

/// The type of a handler's second parameter: `&Context`.
#[diagnostic::on_unimplemented(
    message = "a Lambda handler's second parameter must be `&lambda_handler::Context`, not `{Self}`",
    label = "the invocation context is passed here",
    note = "write the parameter as `ctx: &lambda_handler::Context`, or leave it out: `fn handler(event: Event)`"
)]
pub trait ContextParam<'a> {
    /// The parameter, from the runtime's context.
    fn from_context(ctx: &'a Context) -> Self;
}

/// [`Context`] itself. A blanket impl of [`ContextParam`] over it (rather than one for
/// `&Context`) keeps rustc from pointing into this file with "but it is implemented for".
pub trait IsContext {
    /// The context, as this type.
    fn cast(ctx: &Context) -> &Self;
}

impl IsContext for Context {
    fn cast(ctx: &Context) -> &Self {
        ctx
    }
}

#[diagnostic::do_not_recommend]
impl<'a, C: IsContext> ContextParam<'a> for &'a C {
    fn from_context(ctx: &'a Context) -> Self {
        C::cast(ctx)
    }
}

/// Decodes a failed event again, tracking the path to the field that failed: the fast path
/// pays nothing for the error message's detail.
#[cold]
fn unmarshal_error<T: DeserializeOwned>(event: &[u8]) -> InvocationError {
    let mut deserializer = serde_json::Deserializer::from_slice(event);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(_) => {
            let trailing = deserializer.end().err();
            let message =
                trailing.map_or_else(|| "the event is not valid JSON".into(), |e| e.to_string());
            return InvocationError::unmarshal("", message);
        }
        Err(error) => error,
    };
    let path = error.path().to_string();
    InvocationError::unmarshal(&path, error.into_inner().to_string())
}

/// What a handler returned, when it is a `Result`: its `Err` is the invocation's error.
pub struct ResultKind;

/// What a handler returned, when it is anything else: the whole value is the response.
pub struct ValueKind;

/// Picks [`ResultKind`] for a `Result`: `Result` itself implements `Serialize`, so only the
/// value's type (by autoref specialization: this impl wins method resolution before
/// [`DetectValue`] is reached) can tell an error from a value. Aliases such as
/// `anyhow::Result<T>` are `Result`s too.
pub trait DetectResult {
    /// The kind of a `Result`.
    fn __lambda_handler_kind(&self) -> ResultKind {
        ResultKind
    }
}

impl<T, E> DetectResult for Result<T, E> {}

/// Picks [`ValueKind`] for everything that is not a `Result`.
pub trait DetectValue {
    /// The kind of a plain value.
    fn __lambda_handler_kind(&self) -> ValueKind {
        ValueKind
    }
}

impl<T: ?Sized> DetectValue for &T {}

impl ResultKind {
    /// The result as it is.
    pub fn split<T, E>(self, result: Result<T, E>) -> Result<T, E> {
        result
    }
}

impl ValueKind {
    /// The value as a result that cannot fail.
    pub fn split<T>(self, value: T) -> Result<T, Infallible> {
        Ok(value)
    }
}

/// Writes a successful result as the response body, or hands over its stream.
pub type Encoder<T> = fn(T, &mut Vec<u8>, &Shape) -> Result<Output, InvocationError>;

/// Picks how a handler's `Err` becomes Lambda's error body, by autoderef specialization on
/// `(&&&&&ErrorTag::of(&result)).__lambda_handler_err_encoder()`: the first level whose bound
/// the error type meets wins.
///
/// 1. `E: Into<InvocationError>`: the user chose the body (`errorType` included).
/// 2. `E: std::error::Error`: the type's short name, the `source()` chain as `stackTrace`.
/// 3. `E: AsRef<dyn Error + Send + Sync>` (`anyhow::Error`, `Box<dyn Error + Send + Sync>`):
///    the same, through the trait object.
/// 4. `E: Display`: the message and the type's short name.
/// 5. Anything else: [`NotDisplay`], which [`HandlerError`] turns into the compile error.
pub struct ErrorTag<E>(PhantomData<E>);

impl<E> ErrorTag<E> {
    /// The tag of a result's error type.
    pub fn of<T>(_: &Result<T, E>) -> Self {
        ErrorTag(PhantomData)
    }
}

/// The encoder of a handler's error.
pub type ErrorEncoder<E> = fn(E) -> InvocationError;

/// Level 1 of [`ErrorTag`].
pub trait ViaInto<E> {
    /// The encoder.
    fn __lambda_handler_err_encoder(&self) -> ErrorEncoder<E>;
}

impl<E: Into<InvocationError>> ViaInto<E> for &&&&ErrorTag<E> {
    fn __lambda_handler_err_encoder(&self) -> ErrorEncoder<E> {
        E::into
    }
}

/// Level 2 of [`ErrorTag`].
pub trait ViaError<E> {
    /// The encoder.
    fn __lambda_handler_err_encoder(&self) -> ErrorEncoder<E>;
}

impl<E: Error + 'static> ViaError<E> for &&&ErrorTag<E> {
    fn __lambda_handler_err_encoder(&self) -> ErrorEncoder<E> {
        |error| InvocationError::from_error::<E>(&error)
    }
}

/// Level 3 of [`ErrorTag`].
pub trait ViaDynError<E> {
    /// The encoder.
    fn __lambda_handler_err_encoder(&self) -> ErrorEncoder<E>;
}

impl<E: AsRef<dyn Error + Send + Sync + 'static>> ViaDynError<E> for &&ErrorTag<E> {
    fn __lambda_handler_err_encoder(&self) -> ErrorEncoder<E> {
        |error| InvocationError::from_error::<E>(error.as_ref())
    }
}

/// Level 4 of [`ErrorTag`].
pub trait ViaDisplay<E> {
    /// The encoder.
    fn __lambda_handler_err_encoder(&self) -> ErrorEncoder<E>;
}

impl<E: Display> ViaDisplay<E> for &ErrorTag<E> {
    fn __lambda_handler_err_encoder(&self) -> ErrorEncoder<E> {
        InvocationError::from_handler_error::<E>
    }
}

/// Level 5 of [`ErrorTag`]: no bound, so that an error type without `Display` meets no
/// bound of the runtime's (whose notes would point into this file), only [`HandlerError`].
pub trait ViaNothing<E> {
    /// The marker of an error type Lambda has no message for.
    fn __lambda_handler_err_encoder(&self) -> NotDisplay<E>;
}

impl<E> ViaNothing<E> for ErrorTag<E> {
    fn __lambda_handler_err_encoder(&self) -> NotDisplay<E> {
        NotDisplay(PhantomData)
    }
}

/// Writes the response body in place of the event, or returns the invocation's error.
pub fn respond<T, E>(
    result: Result<T, E>,
    out: &mut Vec<u8>,
    shape: &Shape,
    ok: Encoder<T>,
    err: ErrorEncoder<E>,
) -> Result<Output, InvocationError> {
    out.clear();
    match result {
        Ok(value) => ok(value, out, shape),
        Err(error) => Err(err(error)),
    }
}

/// The state a handler declared, from the runtime's type-erased one.
pub fn state<S: 'static>(state: &State) -> &S {
    state
        .downcast_ref()
        .expect("the runtime passes each handler the state its own init built")
}

/// The type a handler's state parameter refers to, built by its `init` function: checked as
/// `<UserState as StateFrom<_>>::__lambda_handler_state(built)`, so a mismatch is one error
/// on the user's state type.
#[diagnostic::on_unimplemented(
    message = "this handler's state is `&{Self}`, but its init function builds `{T}`",
    label = "the init function builds `{T}`",
    note = "take the state as `state: &{T}`, or make the init function return `{Self}` (or `Result<{Self}, E>`)"
)]
pub trait StateFrom<T> {
    /// The state, as the handler takes it.
    fn __lambda_handler_state(built: T) -> Self;
}

#[diagnostic::do_not_recommend]
impl<S> StateFrom<S> for S {
    fn __lambda_handler_state(built: S) -> S {
        built
    }
}

/// Never built. A second impl for every `S` keeps rustc from inferring what `init` built from
/// the handler's state type alone: it then takes it from the value, and a mismatch is
/// reported with [`StateFrom`]'s message rather than as "mismatched types".
pub struct NotBuilt<S>(PhantomData<S>);

#[diagnostic::do_not_recommend]
impl<S> StateFrom<NotBuilt<S>> for S {
    fn __lambda_handler_state(_: NotBuilt<S>) -> S {
        unreachable!("`NotBuilt` is never constructed")
    }
}

/// An init function's output when it is a future (an `async fn`): awaited.
pub struct InitAwaited;

/// An init function's output when it is not a future: ready.
pub struct InitReady;

/// Picks [`InitAwaited`] for a future, by autoref specialization as [`DetectResult`] does.
pub trait DetectInitFuture {
    /// The kind of a future.
    fn __lambda_handler_init_kind(&self) -> InitAwaited {
        InitAwaited
    }
}

impl<F: Future> DetectInitFuture for F {}

/// Picks [`InitReady`] for everything else.
pub trait DetectInitValue {
    /// The kind of a plain value.
    fn __lambda_handler_init_kind(&self) -> InitReady {
        InitReady
    }
}

impl<T: ?Sized> DetectInitValue for &T {}

impl InitAwaited {
    /// The future itself.
    pub fn resolve<F: Future>(self, future: F) -> F {
        future
    }
}

impl InitReady {
    /// The value, as a future that is ready.
    pub fn resolve<T>(self, value: T) -> std::future::Ready<T> {
        std::future::ready(value)
    }
}

/// The state an init function built, on its way to being type-erased: as
/// [`BuiltState::Shared`] when its type is `Sync` ([`EraseShared`]), else as
/// [`BuiltState::ThreadBound`] ([`EraseThreadBound`]), chosen by autoref specialization on
/// the user's concrete state type: `(&&Erase::new(state)).__lambda_handler_erase()`.
pub struct Erase<S>(Cell<Option<S>>);

impl<S> Erase<S> {
    /// Holds the state until it is erased.
    pub fn new(state: S) -> Self {
        Erase(Cell::new(Some(state)))
    }

    fn take(&self) -> S {
        self.0.take().expect("a state is erased once")
    }
}

/// Erases a `Sync` state as shareable.
pub trait EraseShared {
    /// The state, erased.
    fn __lambda_handler_erase(&self) -> BuiltState;
}

impl<S: Any + Sync> EraseShared for &Erase<S> {
    fn __lambda_handler_erase(&self) -> BuiltState {
        BuiltState::Shared(Box::new(self.take()))
    }
}

/// Erases any other state as bound to one thread.
pub trait EraseThreadBound {
    /// The state, erased.
    fn __lambda_handler_erase(&self) -> BuiltState;
}

impl<S: Any> EraseThreadBound for Erase<S> {
    fn __lambda_handler_erase(&self) -> BuiltState {
        BuiltState::ThreadBound(Box::new(self.take()))
    }
}

/// An init function's run, boxed so that every handler has one init type.
pub fn boxed_init(
    init: impl Future<Output = Result<BuiltState, InvocationError>> + 'static,
) -> crate::handler::registry::InitFuture {
    Box::pin(init)
}

/// A shutdown hook's run, boxed so that every handler has one hook type.
pub fn boxed_shutdown<'a>(
    hook: impl Future<Output = ()> + 'a,
) -> crate::handler::registry::ShutdownFuture<'a> {
    Box::pin(hook)
}

/// An async handler's invocation, boxed so that every handler has one entry type.
pub fn boxed<'a>(
    invocation: impl Future<Output = Result<Output, InvocationError>> + 'a,
) -> BoxFuture<'a> {
    Box::pin(invocation)
}
