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
        Invoke::Sync(call) => {
            let watch = BlockingWatch::start();
            let result = catch_unwind(AssertUnwindSafe(|| call(body, ctx, state)))
                .unwrap_or_else(|payload| Err(InvocationError::panic(payload)));
            if let Some(watch) = watch {
                watch.finish(handler.name);
            }
            result
        }
        Invoke::Async(call) => CatchUnwind(call(body, ctx, state)).await,
    }
}

thread_local! {
    /// How many invocation loops share this thread (worker threads with several loops).
    static LOOPS_ON_THREAD: std::cell::Cell<usize> = const { std::cell::Cell::new(1) };
}

/// This thread serves `loops` invocation loops from now on.
pub(crate) fn share_thread(loops: usize) {
    LOOPS_ON_THREAD.set(loops);
}

/// How long a synchronous call may wait (its wall time beyond its own CPU time) on a thread
/// other loops share before the runtime says so.
const BLOCKING_NOTICE: std::time::Duration = std::time::Duration::from_millis(50);

/// Watches a synchronous handler's call on a thread other loops share: one that spends its
/// time waiting (on I/O, a lock, a sleep) rather than computing holds up the other loops'
/// invocations, which is worth one log line with the way out.
struct BlockingWatch {
    wall: std::time::Instant,
    cpu: std::time::Duration,
}

impl BlockingWatch {
    fn start() -> Option<Self> {
        (LOOPS_ON_THREAD.get() > 1).then(|| BlockingWatch {
            wall: std::time::Instant::now(),
            cpu: thread_cpu_time(),
        })
    }

    fn finish(self, handler: &str) {
        static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        let waited = self
            .wall
            .elapsed()
            .saturating_sub(thread_cpu_time().saturating_sub(self.cpu));
        if waited >= BLOCKING_NOTICE && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
            crate::log::log!(
                Warn,
                "the synchronous handler `{handler}` waited {} ms in one call while {} other \
                 invocation loops shared its thread, and their invocations waited with it: \
                 make the handler `async`, or set LAMBDA_HANDLER_WORKERS to the concurrency \
                 to give each loop a thread (said once)",
                waited.as_millis(),
                LOOPS_ON_THREAD.get() - 1
            );
        }
    }
}

/// The CPU time this thread has used.
fn thread_cpu_time() -> std::time::Duration {
    #[cfg(unix)]
    {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `now` is a valid, writable `timespec`; CLOCK_THREAD_CPUTIME_ID needs nothing
        // else, and on failure `now` is left as it was.
        unsafe {
            libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now);
        }
        std::time::Duration::new(
            u64::try_from(now.tv_sec).unwrap_or(0),
            u32::try_from(now.tv_nsec).unwrap_or(0),
        )
    }
    #[cfg(not(unix))]
    {
        std::time::Duration::ZERO
    }
}
