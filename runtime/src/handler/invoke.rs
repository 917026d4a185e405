//! One call of a handler: decode, call, encode, with panics caught and reported as the
//! invocation's error so that the process goes on serving.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::handler::context::Context;
use crate::handler::error::InvocationError;
use crate::handler::registry::{Handler, Invoke, Output, State};
use crate::handler::unwind::CatchUnwind;

/// The runtime handlers run on: one thread, as a 1-vCPU Lambda has, with every driver the
/// build enabled (a handler's own tokio timers and sockets work). `None` after saying why.
pub(crate) fn async_runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .inspect_err(|e| crate::log::log!(Error, "cannot start the async runtime: {e}"))
        .ok()
}

/// Runs `handler` on the event in `body`; on success `body` holds the response body instead.
///
/// One buffer for both: the response is written where the event was, into memory already
/// allocated and resident, with room for a response the event's size without growing.
pub(crate) async fn invoke(
    handler: &Handler,
    body: &mut Vec<u8>,
    ctx: &Context,
    state: &State,
) -> Result<Output, InvocationError> {
    // `AssertUnwindSafe`: after a panic, only `body` may be half-written, and it is refilled
    // before the next invocation; nothing else the handler saw outlives the call (the state
    // is shared by reference, so a panic cannot leave it half-moved).
    match handler.invoke {
        Invoke::Sync(call) => catch_unwind(AssertUnwindSafe(|| call(body, ctx, state)))
            .unwrap_or_else(|payload| Err(InvocationError::panic(payload))),
        Invoke::Async(call) => CatchUnwind(call(body, ctx, state)).await,
    }
}
