//! Lambda's end of an execution environment: SIGTERM while waiting for an invocation, then the
//! handler's shutdown hook within Lambda's budget.

use std::future::Future;
use std::task::Poll;

use lambda_handler_protocol::limits::SHUTDOWN_BUDGET;
use tokio::time::Instant;

use crate::log::log;
use crate::registry::{Handler, State};

/// SIGTERM, as a stream of deliveries; `None` where it cannot be listened for.
#[cfg(unix)]
pub(crate) fn termination() -> Option<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .inspect_err(|e| {
            log!(
                Warn,
                "cannot listen for SIGTERM, so no shutdown hook runs: {e}"
            )
        })
        .ok()
}

#[cfg(not(unix))]
pub(crate) fn termination() -> Option<NeverSignal> {
    None
}

/// Stands in for a signal where there is none to listen for.
#[cfg(not(unix))]
pub(crate) struct NeverSignal;

#[cfg(not(unix))]
impl NeverSignal {
    pub(crate) async fn recv(&mut self) -> Option<()> {
        std::future::pending().await
    }
}

/// Runs the handler's shutdown hook until `deadline` (Lambda sends SIGKILL at the end of its
/// shutdown budget, [`SHUTDOWN_BUDGET`] after SIGTERM); the process then exits 0.
pub(crate) async fn shut_down(handler: &Handler, state: &State, deadline: Instant) -> i32 {
    let Some(hook) = handler.shutdown else {
        return 0;
    };
    log!(Info, "SIGTERM: running the shutdown hook");
    let hook = crate::unwind::catch_panics(Box::pin(async {
        hook(state).await;
        Ok(())
    }));
    match tokio::time::timeout_at(deadline, hook).await {
        Ok(Ok(())) => {}
        Ok(Err(panic)) => log!(Error, "the shutdown hook failed: {panic}"),
        Err(_) => log!(
            Warn,
            "the shutdown hook ran past Lambda's {} ms; exiting without it",
            SHUTDOWN_BUDGET.as_millis()
        ),
    }
    0
}

/// When a shutdown that begins now must be over: Lambda's budget after SIGTERM.
pub(crate) fn shutdown_deadline() -> Instant {
    Instant::now() + SHUTDOWN_BUDGET
}

/// Which of two futures finished first.
pub(crate) enum First<A, B> {
    A(A),
    B(B),
}

/// Polls `a` and then `b` until one finishes.
pub(crate) async fn first<A: Future, B: Future>(a: A, b: B) -> First<A::Output, B::Output> {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = a.as_mut().poll(cx) {
            return Poll::Ready(First::A(done));
        }
        b.as_mut().poll(cx).map(First::B)
    })
    .await
}
