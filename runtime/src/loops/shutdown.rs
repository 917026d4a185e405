//! Lambda's end of an execution environment: SIGTERM while waiting for an invocation, then the
//! handler's shutdown hook within Lambda's budget.

use lambda_handler_protocol::limits::SHUTDOWN_BUDGET;
use tokio::time::Instant;

use crate::handler::registry::{Handler, State};
use crate::log::log;

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
    let hook = crate::handler::unwind::catch_panics(Box::pin(async {
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
