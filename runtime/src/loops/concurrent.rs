//! Many invocations at once in one execution environment, as Lambda Managed Instances send
//! them (`AWS_LAMBDA_MAX_CONCURRENCY`): that many invocation loops, each its own `/next`
//! on its own keep-alive connection, sharing the handler's init state.
//!
//! How the loops are driven ([`Drive`]). Under `run()`, by worker threads, as many as the
//! cores (or `LAMBDA_HANDLER_WORKERS`), that each own a current-thread tokio runtime (its I/O
//! driver and timers) and run their share of the loops as tasks of one `LocalSet`: a loop's
//! socket, its timers and its handler's future are all polled on the thread that waits on
//! them, so a reply from the Runtime API wakes no other thread, and a worker with several
//! loops ready serves them in one wake-up. Threads cost the same whatever the concurrency.
//! Under `run_async()`, each loop is a thread that polls its invocations on the caller's
//! runtime, as the caller chose that runtime for its own tasks. Either way handler
//! futures need not be `Send` (a loop never moves between threads), and `spawn_local` works
//! as in the single loop. What loops share is the init state, by reference: it must be
//! `Sync`, which the generated code finds out at compile time; a state that is not is served
//! by one loop, and the runtime says so in one log line.
//!
//! As aws-lambda-go does it (aws/aws-lambda-go#600): when Lambda says the environment is
//! finished (403 or 500 on `/next`), every loop's waiting `/next` is cancelled, invocations in
//! flight run to completion and are answered, and the process exits 1. A loop that cannot
//! reach the Runtime API keeps trying while any other loop can; the process gives up only when
//! none can. `_X_AMZN_TRACE_ID` is never set: one environment cannot carry each invocation's
//! trace id, and [`Context::xray_trace_id`](crate::handler::context::Context::xray_trace_id) is the source.

use std::any::Any;
use std::ffi::{OsStr, OsString};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use lambda_handler_protocol::env::{MAX_CONCURRENCY, parse_concurrency};
use lambda_handler_protocol::limits::SHUTDOWN_BUDGET;
use tokio::sync::Notify;

use crate::handler::registry::{BuiltState, Handler};
use crate::log::{PerLoop, log};
use crate::loops::event_loop::{LoopState, NextFailure, client, prepare, serve_invocations};
use crate::loops::shutdown::{shut_down, shutdown_deadline, termination};
use crate::loops::trace_env::TraceEnv;
use crate::race::{First, first};

/// How many invocation loops to run: `AWS_LAMBDA_MAX_CONCURRENCY`, or 1 when it is unset (or
/// unusable, which is said once).
pub(crate) fn loops() -> usize {
    match std::env::var(MAX_CONCURRENCY) {
        Err(_) => 1,
        Ok(value) => parse_concurrency(&value).unwrap_or_else(|e| {
            log!(
                Warn,
                "{MAX_CONCURRENCY}: {e}; serving one invocation at a time"
            );
            1
        }),
    }
}

/// How long a loop that cannot reach the Runtime API waits before trying again, while
/// others can.
const UNREACHABLE_RETRY: Duration = Duration::from_secs(1);

/// Where the invocation loops run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Drive {
    /// `run()`: worker threads of the runtime's own, each with its own tokio runtime.
    Workers,
    /// `run_async()`: a thread per loop, polling on the caller's runtime.
    CallersRuntime,
}

/// The setting for how many worker threads run the loops under [`Drive::Workers`]: 1 to the
/// concurrency; by default as many as the cores.
pub(crate) const WORKERS: &str = "LAMBDA_HANDLER_WORKERS";

/// How many worker threads serve `count` loops under [`Drive::Workers`]: [`WORKERS`] when it
/// is set (within 1 to `count`), else no more than the cores. A loop waiting on the Runtime
/// API or on its handler's future costs a task, not a thread; a synchronous handler's call
/// holds its worker meanwhile, which is why a handler that waits on I/O should be `async`
/// (or the function should set [`WORKERS`] to its concurrency, a thread per loop).
fn workers(count: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    match std::env::var(WORKERS) {
        Err(_) => count.min(cores),
        Ok(value) => match value.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n.min(count),
            _ => {
                log!(
                    Warn,
                    "{WORKERS}: `{value}` is not a number of threads (1 or more); using {}",
                    count.min(cores)
                );
                count.min(cores)
            }
        },
    }
}

/// Serves up to `count` invocations at once, driven as `drive` says; returns the exit code.
pub(crate) async fn serve_endpoint(endpoint: &OsStr, count: usize, drive: Drive) -> i32 {
    let Some(mut client) = client(endpoint) else {
        return 1;
    };
    let (handler, state) = match prepare(&mut client).await {
        Ok(prepared) => prepared,
        Err(code) => return code,
    };
    let state: &'static (dyn Any + Sync) = match state {
        // It lives as long as the process: every loop holds it until the process exits.
        BuiltState::Shared(state) => Box::leak(state),
        BuiltState::ThreadBound(state) => {
            log!(
                Warn,
                "{MAX_CONCURRENCY} is {count}, but the handler's state is not `Sync`, so \
                 threads cannot share it: serving one invocation at a time (make the state \
                 `Sync`, e.g. with `Mutex` or atomics, to serve {count} at once)"
            );
            return serve_invocations(&mut client, handler, &*state).await;
        }
    };
    drop(client);
    crate::log::request_ids_per_thread();
    let loops: &'static Loops = Box::leak(Box::new(Loops::new(count)));
    // Only a handler with a shutdown hook listens for SIGTERM, as with one loop; before any
    // loop asks for an invocation, so that none arrives without the hook ready.
    let mut terminate = handler.shutdown.and_then(|_| termination());
    match drive {
        Drive::Workers => start_workers(endpoint, handler, state, loops),
        Drive::CallersRuntime => start_threads_on_callers_runtime(endpoint, handler, state, loops),
    }
    let all_finished = loops.all_finished();
    let shutdown = match &mut terminate {
        None => {
            all_finished.await;
            None
        }
        Some(signal) => match first(signal.recv(), all_finished).await {
            First::A(_) => {
                // Invocations in flight are answered first, within half of Lambda's shutdown
                // budget; then the hook runs in the rest, whatever a handler still does: it
                // is SIGKILLed at the budget's end.
                let deadline = shutdown_deadline();
                loops.stop();
                let in_flight = deadline - SHUTDOWN_BUDGET / 2;
                if tokio::time::timeout_at(in_flight, loops.all_finished())
                    .await
                    .is_err()
                {
                    log!(
                        Warn,
                        "SIGTERM: {} invocations still running after {} ms; running the \
                         shutdown hook without waiting for them",
                        loops.in_flight.load(Ordering::SeqCst),
                        (SHUTDOWN_BUDGET / 2).as_millis()
                    );
                }
                Some(deadline)
            }
            First::B(()) => None,
        },
    };
    if let Some(deadline) = shutdown {
        return shut_down(handler, state, deadline).await;
    }
    1
}

/// Starts the loops on worker threads with runtimes of their own ([`Drive::Workers`]).
fn start_workers(
    endpoint: &OsStr,
    handler: &'static Handler,
    state: &'static (dyn Any + Sync),
    loops: &'static Loops,
) {
    let workers = workers(loops.count);
    let mut dealt = 0;
    for worker in 0..workers {
        // Loops dealt out evenly: the first `count % workers` workers take one more.
        let share = loops.count / workers + usize::from(worker < loops.count % workers);
        dealt += share;
        // Counted when each loop's task ends, or is dropped unstarted with its worker.
        let finished: Vec<Finished> = (0..share).map(|_| Finished(loops)).collect();
        let endpoint = endpoint.to_owned();
        let spawned = std::thread::Builder::new()
            .name(format!("lambda-worker-{worker}"))
            .spawn(move || {
                let Some(runtime) = crate::handler::invoke::async_runtime() else {
                    loops.stop();
                    return;
                };
                crate::handler::invoke::share_thread(share);
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, async {
                    let tasks: Vec<_> = finished
                        .into_iter()
                        .map(|finished| {
                            let endpoint = endpoint.clone();
                            tokio::task::spawn_local(PerLoop::new(async move {
                                let _finished = finished;
                                serve_loop(&endpoint, handler, state, loops).await;
                            }))
                        })
                        .collect();
                    for task in tasks {
                        // A loop that panicked is counted by its guard; the others go on.
                        let _ = task.await;
                    }
                });
            });
        if let Err(e) = spawned {
            // The closure, and with it this worker's guards, is dropped: its loops count as
            // finished; the loops of the workers not started are counted here.
            log!(Error, "cannot start invocation worker {worker}: {e}");
            loops.stop();
            loops
                .finished
                .fetch_add(loops.count - dealt, Ordering::SeqCst);
            loops.one_finished.notify_one();
            break;
        }
    }
}

/// Starts a thread per loop, each polling on the caller's runtime ([`Drive::CallersRuntime`]).
fn start_threads_on_callers_runtime(
    endpoint: &OsStr,
    handler: &'static Handler,
    state: &'static (dyn Any + Sync),
    loops: &'static Loops,
) {
    let runtime = tokio::runtime::Handle::current();
    for index in 0..loops.count {
        let (runtime, endpoint) = (runtime.clone(), endpoint.to_owned());
        let finished = Finished(loops);
        let spawned = std::thread::Builder::new()
            .name(format!("lambda-loop-{index}"))
            .spawn(move || {
                let _finished = finished;
                runtime.block_on(
                    tokio::task::LocalSet::new()
                        .run_until(serve_loop(&endpoint, handler, state, loops)),
                );
            });
        if let Err(e) = spawned {
            log!(Error, "cannot start invocation loop {index}: {e}");
            loops.stop();
            loops
                .finished
                .fetch_add(loops.count - index - 1, Ordering::SeqCst);
            loops.one_finished.notify_one();
            break;
        }
    }
}

/// What the loops share: whether to stop, and how many are done.
struct Loops {
    count: usize,
    /// Lambda said the environment is finished, no loop reaches the Runtime API, or SIGTERM
    /// came for a shutdown hook: the loops stop once their invocation in flight is answered.
    stopped: AtomicBool,
    stopping: Notify,
    /// Loops that cannot reach the Runtime API now.
    unreachable: AtomicUsize,
    /// Invocations being served now (a loop's, between its event and its answer).
    in_flight: AtomicUsize,
    finished: AtomicUsize,
    one_finished: Notify,
}

impl Loops {
    fn new(count: usize) -> Self {
        Loops {
            count,
            stopped: AtomicBool::new(false),
            stopping: Notify::new(),
            unreachable: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            one_finished: Notify::new(),
        }
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.stopping.notify_waiters();
    }

    fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }

    /// Returns once the loops are told to stop.
    async fn stopping(&self) {
        loop {
            let notified = self.stopping.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the check, so a stop between the two is not missed.
            notified.as_mut().enable();
            if self.stopped() {
                return;
            }
            notified.await;
        }
    }

    /// Loops still running: a loop's thread may also end in a way no loop reports (a panic
    /// in the runtime itself), which counts too.
    fn live(&self) -> usize {
        self.count - self.finished.load(Ordering::SeqCst).min(self.count)
    }

    /// Whether every loop still running has failed to reach the Runtime API.
    fn none_reachable(&self) -> bool {
        self.unreachable.load(Ordering::SeqCst) >= self.live()
    }

    /// Returns once every loop has finished.
    async fn all_finished(&self) {
        while self.finished.load(Ordering::SeqCst) < self.count {
            // `notify_one` keeps a permit when no one waits: no finish is missed.
            self.one_finished.notified().await;
        }
    }
}

/// Counts its loop as finished when the loop's thread ends, however it ends.
struct Finished(&'static Loops);

impl Drop for Finished {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::SeqCst);
        self.0.one_finished.notify_one();
    }
}

/// One invocation loop: `/next`, invoke, answer, until the loops are told to stop.
async fn serve_loop(
    endpoint: &OsString,
    handler: &'static Handler,
    state: &'static (dyn Any + Sync),
    loops: &Loops,
) {
    let Some(mut client) = client(endpoint) else {
        loops.stop();
        return;
    };
    let mut kept = LoopState::new(TraceEnv::disabled());
    let mut unreachable = false;
    while !loops.stopped() {
        // Waiting for an invocation is cancelled when the loops stop; one in flight is not,
        // nor one whose reply has begun (it was handed out).
        let stop = std::pin::pin!(loops.stopping());
        let invocation = match kept.next(&mut client, stop).await {
            Ok(None) => break,
            Ok(Some(invocation)) => invocation,
            Err(NextFailure::Finished(message)) => {
                log!(Error, "{message}; all invocation loops stop");
                loops.stop();
                break;
            }
            Err(NextFailure::Unreachable(message)) => {
                if !std::mem::replace(&mut unreachable, true) {
                    loops.unreachable.fetch_add(1, Ordering::SeqCst);
                }
                // Checked at every failure: a loop that ended meanwhile no longer counts.
                if loops.none_reachable() {
                    log!(Error, "{message} in every invocation loop; exiting");
                    loops.stop();
                    break;
                }
                log!(Warn, "{message}; other loops serve meanwhile");
                if let First::A(()) =
                    first(loops.stopping(), tokio::time::sleep(UNREACHABLE_RETRY)).await
                {
                    break;
                }
                continue;
            }
        };
        if std::mem::take(&mut unreachable) {
            loops.unreachable.fetch_sub(1, Ordering::SeqCst);
        }
        loops.in_flight.fetch_add(1, Ordering::SeqCst);
        let served = kept.serve(&mut client, (handler, state), &invocation).await;
        loops.in_flight.fetch_sub(1, Ordering::SeqCst);
        if let Err(message) = served {
            log!(Error, "{message}; all invocation loops stop");
            loops.stop();
            break;
        }
    }
    if unreachable {
        loops.unreachable.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::Loops;
    use std::sync::atomic::Ordering;

    #[test]
    fn the_process_gives_up_when_every_live_loop_is_unreachable() {
        let loops = Loops::new(3);
        loops.unreachable.fetch_add(2, Ordering::SeqCst);
        assert!(
            !loops.none_reachable(),
            "one loop of three still reaches it"
        );
        // The third loop's thread ended without a word (it counts as finished, not as
        // unreachable): the two left are all there is.
        loops.finished.fetch_add(1, Ordering::SeqCst);
        assert_eq!(loops.live(), 2);
        assert!(loops.none_reachable());
    }
}
