//! A panic in user code (a handler's future, `init`) as an error of that call, so that one
//! bad call never takes the process down.

use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::handler::error::InvocationError;

/// A future's output, a panic in any of its polls turned into an error.
pub(crate) async fn catch_panics<T>(
    future: impl Future<Output = Result<T, InvocationError>> + Unpin,
) -> Result<T, InvocationError> {
    CatchUnwind(future).await
}

/// Polls a handler's future, turning a panic in any poll into the invocation's error.
pub(crate) struct CatchUnwind<F>(pub(crate) F);

impl<T, F: Future<Output = Result<T, InvocationError>> + Unpin> Future for CatchUnwind<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx)))
            .unwrap_or_else(|payload| Poll::Ready(Err(InvocationError::panic(payload))))
    }
}
