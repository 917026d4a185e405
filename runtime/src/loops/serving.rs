//! Serving the Runtime API: one invocation loop, or as many as `AWS_LAMBDA_MAX_CONCURRENCY`
//! asks for, on the runtime `run()` starts or on the caller's (`run_async()`).

use crate::loops::concurrent::{self, Drive};
use crate::loops::event_loop;

/// Serves invocations until the Runtime API fails for good; returns the exit code. The process
/// is the runtime's (`run()`): glibc keeps freed memory for the next invocation.
pub(crate) fn run(endpoint: &std::ffi::OsStr) -> i32 {
    crate::loops::heap::keep_freed_memory();
    let loops = concurrent::loops();
    let Some(runtime) = crate::handler::invoke::async_runtime() else {
        return 1;
    };
    if loops > 1 {
        return tokio::task::LocalSet::new().block_on(
            &runtime,
            concurrent::serve_endpoint(endpoint, loops, Drive::Workers),
        );
    }
    // The loop and hyper's connection run as tasks of one `LocalSet`: a wake between them is
    // then a push onto its queue, run in the same turn. Woken from a task, the root future
    // of `block_on` would make tokio poll the OS once more (`epoll_wait`) before each reply.
    tokio::task::LocalSet::new().block_on(&runtime, event_loop::serve_endpoint(endpoint))
}

/// [`run`] on the caller's tokio runtime (`run_async`): inside a `LocalSet` of its own. The
/// process is the program's: its allocator's policy is left as the program set it.
pub(crate) async fn run_on_current(endpoint: &std::ffi::OsStr) -> i32 {
    let loops = concurrent::loops();
    let local = tokio::task::LocalSet::new();
    if loops > 1 {
        return local
            .run_until(concurrent::serve_endpoint(
                endpoint,
                loops,
                Drive::CallersRuntime,
            ))
            .await;
    }
    local.run_until(event_loop::serve_endpoint(endpoint)).await
}
