//! One call of a handler: decode, call, encode, with panics caught and reported as the
//! invocation's error so that the process goes on serving.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::Context;
use crate::error::InvocationError;
use crate::registry::{Handler, Invoke, Output, State};

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
            .unwrap_or_else(|payload| Err(InvocationError::panic(&*payload))),
        Invoke::Async(call) => CatchUnwind(call(body, ctx, state)).await,
    }
}

/// A future's output, a panic in any of its polls turned into an error.
pub(crate) async fn catch_panics<T>(
    future: impl Future<Output = Result<T, InvocationError>> + Unpin,
) -> Result<T, InvocationError> {
    CatchUnwind(future).await
}

/// Polls a handler's future, turning a panic in any poll into the invocation's error.
struct CatchUnwind<F>(F);

impl<T, F: Future<Output = Result<T, InvocationError>> + Unpin> Future for CatchUnwind<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx)))
            .unwrap_or_else(|payload| Poll::Ready(Err(InvocationError::panic(&*payload))))
    }
}
