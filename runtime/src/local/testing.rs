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
//! let mut handler = TestHandler::new("greet").unwrap();
//! assert_eq!(handler.invoke(json!({"name": "Ada"})), Ok(json!("Hello Ada!")));
//! // The event is decoded as on Lambda: a mismatch is Lambda's unmarshal error.
//! # }
//! ```
//!
//! Calling the function directly tests its logic; this tests its contract with Lambda: how
//! the event decodes, what JSON or error body comes out, and what `init` builds.

use serde_json::Value;

use crate::handler::context::Context;
use crate::handler::error::InvocationError;
use crate::handler::registry::{self, BuiltState, Handler, HandlerChoice, Output};

/// A registered handler, ready to be invoked in a test, with its `init` already run.
pub struct TestHandler {
    handler: &'static Handler,
    state: BuiltState,
    runtime: tokio::runtime::Runtime,
    tasks: tokio::task::LocalSet,
}

impl TestHandler {
    /// The handler registered under `name` (the function's name, or its
    /// `#[lambda_handler(name = "...")]`), with its `init`, if it has one, run once now.
    ///
    /// The error is what Lambda would report at start-up: `Runtime.HandlerNotFound`, or the
    /// init function's error.
    ///
    /// # Panics
    ///
    /// Inside a tokio runtime (`#[tokio::test]`): the handler runs on a runtime of its own,
    /// as on Lambda. Use a plain `#[test]`.
    pub fn new(name: &str) -> Result<Self, InvocationError> {
        let handler = registry::select(HandlerChoice::Explicit(name))?;
        assert!(
            tokio::runtime::Handle::try_current().is_err(),
            "TestHandler runs the handler on a runtime of its own, as Lambda does: call it \
             from a plain `#[test]`, not inside a tokio runtime"
        );
        let runtime = crate::handler::invoke::async_runtime()
            .ok_or_else(|| InvocationError::new("Runtime.Unknown", "no tokio runtime"))?;
        let tasks = tokio::task::LocalSet::new();
        let state = tasks.block_on(&runtime, handler.build_state())?;
        Ok(TestHandler {
            handler,
            state,
            runtime,
            tasks,
        })
    }

    /// Invokes the handler on `event` with a fresh context (see [`TestHandler::context`]):
    /// its response as JSON, or the error Lambda would report (a response over Lambda's
    /// limit included).
    pub fn invoke(&mut self, event: Value) -> Result<Value, InvocationError> {
        let ctx = self.context();
        self.invoke_with(event, &ctx)
    }

    /// Invokes the handler on `event` with the context you filled in.
    pub fn invoke_with(&mut self, event: Value, ctx: &Context) -> Result<Value, InvocationError> {
        let body = serde_json::to_vec(&event).expect("a JSON value always encodes");
        let response = self.invoke_bytes(body, ctx)?;
        Ok(serde_json::from_slice(&response).expect("the runtime writes valid JSON"))
    }

    /// Invokes the handler on the event's exact bytes: the response's exact bytes, as Lambda
    /// would receive them. A [`Streaming`](crate::handler::streaming::Streaming) response is run to its end and
    /// its chunks joined; a stream that ends with an error gives that error.
    pub fn invoke_bytes(
        &mut self,
        event: Vec<u8>,
        ctx: &Context,
    ) -> Result<Vec<u8>, InvocationError> {
        let mut body = event;
        let (handler, state) = (self.handler, self.state.get());
        let output = self.tasks.block_on(
            &self.runtime,
            crate::handler::invoke::invoke(handler, &mut body, ctx, state),
        )?;
        match output {
            Output::Buffered => {
                InvocationError::check_response_size(body.len())?;
                Ok(body)
            }
            Output::Streamed(streaming) => {
                let mut streamed = Vec::new();
                let chunks = streaming.for_each_chunk(|chunk| streamed.extend_from_slice(chunk));
                self.tasks.block_on(&self.runtime, chunks)?;
                Ok(streamed)
            }
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
