//! Testing a handler the way Lambda calls it, in your own `#[test]`s: the event as JSON goes
//! through the same decode, call and encode as on Lambda (and its `init`, once), and the
//! response comes back as JSON, or the error as Lambda would report it. No sockets, no child
//! process.
//!
//! ```standalone_crate
//! use lambda_handler::{lambda_handler, Context};
//! use lambda_handler::testing::TestHandler;
//! use serde_json::json;
//!
//! #[lambda_handler]
//! fn greet(event: serde_json::Value, ctx: &Context) -> String {
//!     format!("Hello {}!", event["name"].as_str().unwrap_or("stranger"))
//! }
//!
//! # fn main() {
//! // Named by the function itself: a typo does not compile.
//! let mut handler = TestHandler::new(greet).unwrap();
//! assert_eq!(handler.invoke(json!({"name": "Ada"})), Ok(json!("Hello Ada!")));
//! # }
//! ```
//!
//! Calling the function directly tests its logic; this tests its contract with Lambda: how
//! the event decodes, what JSON or error body comes out, and what `init` builds.
//!
//! Tests in your crate's `tests/` folder work the same way, naming the handler by its path in
//! your library (`TestHandler::new(my_crate::handlers::checkout)`), which is also what links
//! the library's handlers into the test binary.

use std::any::{Any, TypeId};
use std::fmt;

use serde_json::Value;

use crate::handler::context::Context;
use crate::handler::error::InvocationError;
use crate::handler::registry::{self, BuiltState, Handler, HandlerChoice, Output};
use crate::handler::streaming::Streaming;

/// A registered handler, ready to be invoked in a test, with its `init` already run (or its
/// state given, [`TestHandler::with_state`]).
pub struct TestHandler {
    handler: &'static Handler,
    state: BuiltState,
    runtime: tokio::runtime::Runtime,
    tasks: tokio::task::LocalSet,
}

impl fmt::Debug for TestHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestHandler")
            .field("handler", &self.handler.name)
            .finish_non_exhaustive()
    }
}

impl TestHandler {
    /// The handler `function` (the function you annotated with `#[lambda_handler]`, named
    /// itself: `TestHandler::new(checkout)`), with its `init`, if it has one, run once now.
    ///
    /// The error is what Lambda would report at start-up: the init function's error, or
    /// `Runtime.HandlerNotFound` for a function that is not a handler. Inside a tokio runtime
    /// (`#[tokio::test]`) it is `Runtime.NestedRuntime`: the handler runs on a runtime of its
    /// own, as on Lambda, so use a plain `#[test]`.
    pub fn new<F: 'static>(function: F) -> Result<Self, InvocationError> {
        let handler = of_function(&function)?;
        Self::start(handler, None)
    }

    /// The handler registered under `name` (the function's name, or its
    /// `#[lambda_handler(name = "...")]`), with its `init` run once now; see
    /// [`TestHandler::new`].
    pub fn named(name: &str) -> Result<Self, InvocationError> {
        let handler = registry::select(HandlerChoice::Explicit(name))?;
        Self::start(handler, None)
    }

    /// The handler `function`, with `state` as what its `init` would have built (the init is
    /// not run): a test gives each handler the clients, tables or settings it wants, without
    /// the environment variables an `init` reads.
    ///
    /// The error is `Runtime.HandlerNotFound` for a function that is not a handler, and
    /// `Runtime.StateMismatch` when the handler has no `init` or its state is another type.
    pub fn with_state<F: 'static, S: Any>(function: F, state: S) -> Result<Self, InvocationError> {
        let handler = of_function(&function)?;
        match handler.state_type {
            Some(expected) if expected() == TypeId::of::<S>() => {}
            Some(_) => {
                return Err(state_mismatch(format!(
                    "`{}` takes another state than `{}`",
                    handler.name,
                    std::any::type_name::<S>()
                )));
            }
            None => {
                return Err(state_mismatch(format!(
                    "`{}` has no `init`, so it takes no state",
                    handler.name
                )));
            }
        }
        Self::start(handler, Some(BuiltState::ThreadBound(Box::new(state))))
    }

    fn start(
        handler: &'static Handler,
        state: Option<BuiltState>,
    ) -> Result<Self, InvocationError> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(InvocationError::new(
                lambda_handler_protocol::error_types::RUNTIME_NESTED_RUNTIME,
                "TestHandler runs the handler on a runtime of its own, as Lambda does: call it \
                 from a plain `#[test]`, not inside a tokio runtime (`#[tokio::test]`)",
            ));
        }
        let runtime = crate::handler::invoke::async_runtime()
            .ok_or_else(|| InvocationError::new("Runtime.Unknown", "no tokio runtime"))?;
        let tasks = tokio::task::LocalSet::new();
        let state = match state {
            Some(state) => state,
            None => tasks.block_on(&runtime, handler.build_state())?,
        };
        Ok(TestHandler {
            handler,
            state,
            runtime,
            tasks,
        })
    }

    /// Invokes the handler on `event` with a fresh context (see [`TestHandler::context`]):
    /// its response as JSON, or the error Lambda would report (a response over Lambda's
    /// limit included). A streamed response ([`Streaming`]) is run to its end and its chunks
    /// joined.
    ///
    /// # Panics
    ///
    /// When the response is not JSON, which only a streamed response can be (a page, lines of
    /// text): take it with [`TestHandler::invoke_stream`] or [`TestHandler::invoke_bytes`].
    pub fn invoke(&mut self, event: Value) -> Result<Value, InvocationError> {
        let ctx = self.context();
        self.invoke_with(event, &ctx)
    }

    /// Invokes the handler on `event` with the context you filled in; see
    /// [`TestHandler::invoke`].
    pub fn invoke_with(&mut self, event: Value, ctx: &Context) -> Result<Value, InvocationError> {
        let body = serde_json::to_vec(&event).expect("a JSON value always encodes");
        let response = self.invoke_bytes(body, ctx)?;
        match serde_json::from_slice(&response) {
            Ok(json) => Ok(json),
            Err(e) => panic!(
                "`{}` answered {} bytes that are not JSON ({e}); a streamed response is read \
                 with `invoke_stream` (its chunks) or `invoke_bytes`",
                self.handler.name,
                response.len()
            ),
        }
    }

    /// Invokes the handler on the event's exact bytes: the response's exact bytes, as Lambda
    /// would receive them. A [`Streaming`] response is run to its end and its chunks joined; a
    /// stream that ends with an error gives that error.
    pub fn invoke_bytes(
        &mut self,
        event: Vec<u8>,
        ctx: &Context,
    ) -> Result<Vec<u8>, InvocationError> {
        match self.call(event, ctx)? {
            Called::Whole(body) => Ok(body),
            Called::Streamed(streaming) => {
                let mut joined = Vec::new();
                let chunks = streaming.for_each_chunk(|chunk| joined.extend_from_slice(chunk));
                self.tasks.block_on(&self.runtime, chunks)?;
                Ok(joined)
            }
        }
    }

    /// Invokes the handler on `event` with a fresh context: the chunks of its response, as
    /// the caller of a streaming function receives them (a buffered response is one chunk),
    /// or the error Lambda would report (a stream that fails after some chunks gives only
    /// the error: Lambda reports it after them, in the trailers).
    pub fn invoke_stream(&mut self, event: Value) -> Result<Vec<Vec<u8>>, InvocationError> {
        let body = serde_json::to_vec(&event).expect("a JSON value always encodes");
        let ctx = self.context();
        match self.call(body, &ctx)? {
            Called::Whole(body) => Ok(vec![body]),
            Called::Streamed(streaming) => {
                let mut chunks = Vec::new();
                let streamed = streaming.for_each_chunk(|chunk| chunks.push(chunk.to_vec()));
                self.tasks.block_on(&self.runtime, streamed)?;
                Ok(chunks)
            }
        }
    }

    /// One call: the response body, or the stream to run.
    fn call(&mut self, event: Vec<u8>, ctx: &Context) -> Result<Called, InvocationError> {
        let mut body = event;
        let (handler, state) = (self.handler, self.state.get());
        let output = self.tasks.block_on(
            &self.runtime,
            crate::handler::invoke::invoke(handler, &mut body, ctx, state),
        )?;
        match output {
            Output::Buffered => {
                InvocationError::check_response_size(body.len())?;
                Ok(Called::Whole(body))
            }
            Output::Streamed(streaming) => Ok(Called::Streamed(streaming)),
        }
    }

    /// The context [`TestHandler::invoke`] passes: a new request id, a deadline Lambda's
    /// default 3 seconds away, and the handler's name as the function's name. Change what
    /// your test needs and pass it to [`TestHandler::invoke_with`].
    pub fn context(&self) -> Context {
        Context {
            request_id: lambda_handler_protocol::ids::request_id(),
            deadline: std::time::SystemTime::now()
                + lambda_handler_protocol::limits::DEFAULT_TIMEOUT,
            function_name: self.handler.name.to_owned(),
            ..Context::default()
        }
    }
}

/// What one call produced.
enum Called {
    Whole(Vec<u8>),
    Streamed(Streaming),
}

/// The handler of an annotated function, named by the function itself.
fn of_function<F: 'static>(function: &F) -> Result<&'static Handler, InvocationError> {
    registry::of_function(registry::type_id_of(function)).ok_or_else(|| {
        InvocationError::new(
            "Runtime.HandlerNotFound",
            format!(
                "`{}` is not a function annotated with `#[lambda_handler]` in this binary",
                std::any::type_name::<F>()
            ),
        )
    })
}

fn state_mismatch(message: String) -> InvocationError {
    InvocationError::new("Runtime.StateMismatch", message)
}
