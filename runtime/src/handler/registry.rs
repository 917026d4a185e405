//! The handlers `#[lambda_handler]` registered, gathered by the linker (no code runs before
//! `main`), and the choice of the one to serve.

use std::any::Any;
use std::future::Future;
use std::pin::Pin;

use crate::handler::context::Context;
use crate::handler::error::InvocationError;

/// An async handler's invocation in progress.
pub type BoxFuture<'a> = Pin<Box<dyn Future<Output = Result<Output, InvocationError>> + 'a>>;

/// What a handler's entry produced on success.
pub enum Output {
    /// The response body, in the invocation's buffer.
    Buffered,
    /// A response to stream to the caller as it is produced.
    Streamed(crate::handler::streaming::Streaming),
}

/// The state an `init` function built, type-erased: the handler's entry downcasts it.
pub type State = dyn Any;

/// Decodes an event, calls a synchronous handler and writes its response body. The buffer
/// holds the event on entry and the response body on success: one buffer serves both, so
/// a large response is written into memory the event already occupies. The last argument
/// is the state its `init` built (`()` without one).
pub type SyncInvoke = fn(&mut Vec<u8>, &Context, &State) -> Result<Output, InvocationError>;

/// Decodes an event, calls an async handler and writes its response body, in one buffer as
/// [`SyncInvoke`] does.
pub type AsyncInvoke = for<'a> fn(&'a mut Vec<u8>, &'a Context, &'a State) -> BoxFuture<'a>;

/// An `init` function's run: the state it built, or the init error.
pub type InitFuture = Pin<Box<dyn Future<Output = Result<BuiltState, InvocationError>>>>;

/// The state an `init` function built, and whether the invocation loops of a concurrent
/// execution environment (`AWS_LAMBDA_MAX_CONCURRENCY`) can share it: they can when its type
/// is `Sync`, which the generated code finds out at compile time.
pub enum BuiltState {
    /// A `Sync` state: every loop takes it by reference.
    Shared(Box<dyn Any + Sync>),
    /// A state only one thread may use: invocations are served one at a time.
    ThreadBound(Box<dyn Any>),
}

impl BuiltState {
    /// The state, as a handler's entry takes it.
    pub(crate) fn get(&self) -> &State {
        match self {
            BuiltState::Shared(state) => &**state,
            BuiltState::ThreadBound(state) => &**state,
        }
    }
}

/// Builds a handler's state once, before the first invocation.
pub type Init = fn() -> InitFuture;

/// A shutdown hook's run.
pub type ShutdownFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;

/// Runs a handler's shutdown hook, with its state, when Lambda sends SIGTERM.
pub type Shutdown = for<'a> fn(&'a State) -> ShutdownFuture<'a>;

/// The `TypeId` of something's type, by a function the generated code builds in a `static`.
pub type TypeIdOf = fn() -> std::any::TypeId;

/// One registered handler.
pub struct Handler {
    pub(crate) name: &'static str,
    pub(crate) invoke: Invoke,
    pub(crate) init: Option<Init>,
    pub(crate) shutdown: Option<Shutdown>,
    /// The annotated function's own type (each `fn` item has one): how a test names a handler
    /// by the function itself.
    pub(crate) function: Option<TypeIdOf>,
    /// The type of the state its `init` builds, when it has one.
    pub(crate) state_type: Option<TypeIdOf>,
    /// It takes Lambda's durable envelope (`#[lambda_handler(durable)]`): `--serve` runs the
    /// durable-execution service for it.
    #[cfg_attr(not(feature = "serve"), allow(dead_code))]
    pub(crate) durable: bool,
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("name", &self.name)
            .field("async", &matches!(self.invoke, Invoke::Async(_)))
            .field("init", &self.init.is_some())
            .field("shutdown", &self.shutdown.is_some())
            .finish_non_exhaustive()
    }
}

/// The `TypeId` of a value's type: `type_id_of(&my_handler)` is the function item's.
pub fn type_id_of<T: 'static>(_: &T) -> std::any::TypeId {
    std::any::TypeId::of::<T>()
}

#[derive(Clone, Copy)]
pub(crate) enum Invoke {
    Sync(SyncInvoke),
    Async(AsyncInvoke),
}

impl Handler {
    /// A handler that is an ordinary `fn`.
    pub const fn synchronous(name: &'static str, invoke: SyncInvoke) -> Self {
        Handler {
            name,
            invoke: Invoke::Sync(invoke),
            init: None,
            shutdown: None,
            function: None,
            state_type: None,
            durable: false,
        }
    }

    /// A handler that is an `async fn`.
    pub const fn asynchronous(name: &'static str, invoke: AsyncInvoke) -> Self {
        Handler {
            name,
            invoke: Invoke::Async(invoke),
            init: None,
            shutdown: None,
            function: None,
            state_type: None,
            durable: false,
        }
    }

    /// The handler, with state of the type `state_type` its `init` builds once per process.
    pub const fn with_init(self, init: Init, state_type: TypeIdOf) -> Self {
        Handler {
            init: Some(init),
            state_type: Some(state_type),
            ..self
        }
    }

    /// The handler, known by the annotated function's type too.
    pub const fn of_function(self, function: TypeIdOf) -> Self {
        Handler {
            function: Some(function),
            ..self
        }
    }

    /// The handler, taking Lambda's durable envelope: a durable function.
    pub const fn durable(self) -> Self {
        Handler {
            durable: true,
            ..self
        }
    }

    /// The handler, with a hook that runs when Lambda ends the execution environment.
    pub const fn with_shutdown(self, shutdown: Shutdown) -> Self {
        Handler {
            shutdown: Some(shutdown),
            ..self
        }
    }

    /// Runs the handler's `init`, once, before its first invocation; `()` when it has none.
    pub(crate) async fn build_state(&self) -> Result<BuiltState, InvocationError> {
        match self.init {
            Some(init) => crate::handler::unwind::catch_panics(init()).await,
            None => Ok(BuiltState::Shared(Box::new(()))),
        }
    }
}

/// Every handler in the binary.
#[linkme::distributed_slice]
pub static HANDLERS: [Handler];

/// The handler registered for the annotated function of type `function`.
pub(crate) fn of_function(function: std::any::TypeId) -> Option<&'static Handler> {
    HANDLERS
        .iter()
        .find(|h| h.function.is_some_and(|f| f() == function))
}

/// Which handler to serve, and how strictly its name must match.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandlerChoice<'a> {
    /// Lambda's `_HANDLER` setting: a binary with one handler serves it whatever the setting
    /// says, since custom runtimes are often deployed with a placeholder handler name.
    Configured(Option<&'a str>),
    /// `--handler NAME` on the command line: the name must exist.
    Explicit(&'a str),
}

/// The handler to serve, or the init error that says why there is none.
pub(crate) fn select(choice: HandlerChoice<'_>) -> Result<&'static Handler, InvocationError> {
    select_from(&HANDLERS, choice)
}

fn select_from(
    handlers: &'static [Handler],
    choice: HandlerChoice<'_>,
) -> Result<&'static Handler, InvocationError> {
    if let Some(name) = duplicate_name(handlers) {
        return Err(InvocationError::new(
            "Runtime.DuplicateHandler",
            format!(
                "two handlers are registered as `{name}`; give one another name with `#[lambda_handler(name = \"...\")]`"
            ),
        ));
    }
    let by_name = |name: &str| handlers.iter().find(|h| h.name == name);
    match (choice, handlers) {
        (_, []) => Err(InvocationError::new(
            "Runtime.HandlerNotFound",
            format!(
                "this binary registers no handler: annotate a function with `#[lambda_handler]`; \
                 if it is in your library (`src/lib.rs`), write `use {} as _;` in `src/main.rs`, \
                 so that the library's handlers are linked into the binary",
                library_name_guess()
            ),
        )),
        (HandlerChoice::Configured(_), [only]) => Ok(only),
        (HandlerChoice::Configured(Some(name)) | HandlerChoice::Explicit(name), _) => {
            by_name(name).ok_or_else(|| not_found(handlers, Some(name)))
        }
        (HandlerChoice::Configured(None), _) => Err(not_found(handlers, None)),
    }
}

/// The library a binary is most likely built beside: a package's binary and library share
/// its name (`-` made `_`), unless it is renamed `bootstrap` for Lambda.
fn library_name_guess() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.file_stem()?.to_str()?.replace('-', "_")))
        .filter(|name| name != "bootstrap" && !name.is_empty())
        .unwrap_or_else(|| "your_crate".to_owned())
}

fn duplicate_name(handlers: &[Handler]) -> Option<&'static str> {
    handlers
        .iter()
        .enumerate()
        .find(|(i, h)| handlers[..*i].iter().any(|earlier| earlier.name == h.name))
        .map(|(_, h)| h.name)
}

fn not_found(handlers: &[Handler], name: Option<&str>) -> InvocationError {
    let mut names: Vec<_> = handlers.iter().map(|h| format!("`{}`", h.name)).collect();
    names.sort();
    let names = names.join(", ");
    let message = match name {
        Some(name) => format!("no handler is named `{name}`; this binary's handlers are {names}"),
        None => format!(
            "this binary registers several handlers ({names}); choose one with the function's \
             handler setting (`_HANDLER`) or `--handler NAME`"
        ),
    };
    InvocationError::new("Runtime.HandlerNotFound", message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &mut Vec<u8>, _: &Context, _: &State) -> Result<Output, InvocationError> {
        Ok(Output::Buffered)
    }

    static ONE: [Handler; 1] = [Handler::synchronous("one", ok)];
    static TWO: [Handler; 2] = [Handler::synchronous("b", ok), Handler::synchronous("a", ok)];
    static SAME: [Handler; 2] = [Handler::synchronous("x", ok), Handler::synchronous("x", ok)];

    fn error(handlers: &'static [Handler], choice: HandlerChoice<'_>) -> InvocationError {
        select_from(handlers, choice).expect_err("an error")
    }

    #[test]
    fn a_single_handler_serves_whatever_handler_is_configured() {
        assert_eq!(
            select_from(&ONE, HandlerChoice::Configured(Some("bootstrap")))
                .unwrap()
                .name,
            "one"
        );
        assert_eq!(
            select_from(&ONE, HandlerChoice::Configured(None))
                .unwrap()
                .name,
            "one"
        );
    }

    #[test]
    fn several_handlers_need_a_known_name() {
        assert_eq!(
            select_from(&TWO, HandlerChoice::Configured(Some("a")))
                .unwrap()
                .name,
            "a"
        );
        let e = error(&TWO, HandlerChoice::Configured(Some("c")));
        assert_eq!(e.error_type, "Runtime.HandlerNotFound");
        assert_eq!(
            e.error_message,
            "no handler is named `c`; this binary's handlers are `a`, `b`"
        );
        assert!(
            error(&TWO, HandlerChoice::Configured(None))
                .error_message
                .contains("`a`, `b`")
        );
    }

    #[test]
    fn an_explicit_name_must_exist() {
        let e = error(&ONE, HandlerChoice::Explicit("other"));
        assert_eq!(
            e.error_message,
            "no handler is named `other`; this binary's handlers are `one`"
        );
    }

    #[test]
    fn duplicate_names_are_an_init_error() {
        assert_eq!(
            error(&SAME, HandlerChoice::Configured(Some("x"))).error_type,
            "Runtime.DuplicateHandler"
        );
    }
}
