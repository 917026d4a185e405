//! The one execution environment the emulator models, in three parts, each with its own lock:
//! the invocations waiting for the runtime (`queue`), the ones it is working on
//! (`invocations`, rapid's model with where each outcome goes), and the runtime process
//! (`process`). What passes between a caller and the runtime is `outcome`. The services (the
//! Invoke API, the Runtime API, the supervisor) each reach into the parts they need; the steps
//! that span parts are here.

pub(crate) mod invocations;
pub(crate) mod outcome;
pub(crate) mod process;
pub(crate) mod queue;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::logs::Output;
use crate::options::Options;
use crate::race::first;
use invocations::{Invocations, Settings};
use lambda_handler_protocol::error_types::{RUNTIME_UNKNOWN, SANDBOX_TIMEDOUT};
use lambda_handler_protocol::limits::INIT_TIMEOUT;
use outcome::{Completed, Invocation, Outcome};
use process::Process;
use queue::Queue;
use tokio::sync::oneshot;

pub(crate) struct Environment {
    pub(crate) options: Options,
    /// Where the runtime finds the Runtime API.
    pub(crate) runtime_api: SocketAddr,
    pub(crate) queue: Queue,
    pub(crate) invocations: Invocations,
    pub(crate) process: Process,
    /// The runtime's stdout and stderr.
    pub(crate) output: Arc<Output>,
    /// Where the Invoke API (and the durable-execution API) listens.
    pub(crate) invoke_api: SocketAddr,
}

/// An invocation `/next` handed out: what the runtime gets.
pub(crate) struct HandedOut {
    pub(crate) invocation: Invocation,
    /// The invocation's deadline, for `Lambda-Runtime-Deadline-Ms`.
    pub(crate) deadline: SystemTime,
    /// A nonce of this attempt, for `Lambda-Runtime-Invocation-Id`: the runtime echoes it.
    pub(crate) invocation_id: String,
}

/// A lock of one of the parts. A panic while holding one leaves plain data behind; keep
/// serving.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Environment {
    pub(crate) fn new(options: Options, runtime_api: SocketAddr, invoke_api: SocketAddr) -> Self {
        let output = Arc::<Output>::default();
        let settings = Settings {
            concurrency: options.concurrency,
            timeout: options.timeout,
            memory_mb: options.memory_mb,
            log_json: options.log_json,
        };
        Environment {
            invocations: Invocations::new(settings, Arc::clone(&output)),
            invoke_api,
            options,
            runtime_api,
            queue: Queue::default(),
            process: Process::default(),
            output,
        }
    }

    /// Waits for an invocation and makes it one in flight; its deadline starts now. With a
    /// concurrency above 1, waits too while that many are in flight, as Lambda hands a runtime
    /// no more.
    pub(crate) async fn next(self: &Arc<Self>) -> HandedOut {
        // The runtime that asked; one being stopped waits until its connection closes with it.
        let Some(asker) = self.process.serving() else {
            return std::future::pending().await;
        };
        loop {
            // Created before the checks: an invocation queued, or one ended, meanwhile wakes it.
            let (queued, room) = (self.queue.queued(), self.invocations.room());
            // Checked again at every wake-up: the asker may have been stopped meanwhile.
            if self.process.serving() != Some(asker) {
                return std::future::pending().await;
            }
            let popped = if self.invocations.has_room() {
                self.queue.pop()
            } else {
                None
            };
            if let Some(mut invocation) = popped {
                // `checked_add`: a library caller may set any timeout.
                let deadline = SystemTime::now()
                    .checked_add(self.options.timeout)
                    .unwrap_or(SystemTime::now() + lambda_handler_protocol::limits::MAX_TIMEOUT);
                let watch = self.watch_deadline(invocation.id.clone());
                let invocation_id = self.invocations.hand_out(&mut invocation, watch);
                return HandedOut {
                    invocation,
                    deadline,
                    invocation_id,
                };
            }
            let _ = first(queued, room).await;
        }
    }

    /// The outcome of the invocation `id`, queued with `outcome` as its reply. The deadline of
    /// an invocation in flight is watched by the state; this bounds only the wait for a
    /// runtime to take it.
    pub(crate) async fn completed(
        &self,
        id: &str,
        mut outcome: oneshot::Receiver<Completed>,
    ) -> Completed {
        let dropped = || Completed {
            outcome: Outcome::error(RUNTIME_UNKNOWN, "the invocation was dropped"),
            log: None,
        };
        let pickup = INIT_TIMEOUT.saturating_add(self.options.timeout);
        match tokio::time::timeout(pickup, &mut outcome).await {
            Ok(Ok(completed)) => return completed,
            Ok(Err(_)) => return dropped(),
            Err(_) if self.queue.withdraw(id) => {
                let seconds = pickup.as_secs_f64();
                let message = format!(
                    "RequestId: {id} Error: Task timed out after {seconds:.2} seconds (the runtime never took the invocation)"
                );
                return Completed {
                    outcome: Outcome::error(SANDBOX_TIMEDOUT, &message),
                    log: None,
                };
            }
            Err(_) => {}
        }
        outcome.await.unwrap_or_else(|_| dropped())
    }

    /// Ends the invocation `id` at its deadline, if it is still in flight then; a streamed
    /// response ends itself (see `runtime_api::streamed`).
    fn watch_deadline(self: &Arc<Self>, id: String) -> tokio::task::AbortHandle {
        let environment = Arc::clone(self);
        let watch = tokio::spawn(async move {
            tokio::time::sleep(environment.options.timeout).await;
            if environment.invocations.time_out(&id) {
                environment.timed_out();
            }
        });
        watch.abort_handle()
    }

    /// A streamed response to `id` has ended (see [`Invocations::end_stream`]); its log's tail
    /// when the caller asked for it.
    pub(crate) fn end_stream(&self, id: &str, timed_out: bool) -> Option<Vec<u8>> {
        let log = self.invocations.end_stream(id, timed_out);
        if timed_out {
            self.timed_out();
        }
        log
    }

    /// An invocation timed out. Lambda resets an execution environment that serves one
    /// invocation at a time: the runtime is stopped and started again for the next one. On
    /// Lambda Managed Instances (a concurrency above 1) the other invocations in flight go on:
    /// only the one invocation is closed.
    fn timed_out(&self) {
        if self.options.concurrency == 1 {
            self.process.kill();
        }
    }
}

/// The function's ARN, in the emulator's one region and account.
pub(crate) fn function_arn(function: &str) -> String {
    format!("arn:aws:lambda:us-east-1:012345678912:function:{function}")
}

/// Milliseconds since the epoch, as `Lambda-Runtime-Deadline-Ms` carries them.
pub(crate) fn epoch_ms(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
}
