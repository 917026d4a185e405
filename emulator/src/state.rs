//! The one execution environment the emulator models: invocations waiting for the runtime,
//! the one the runtime is working on, the runtime process's state, and how each ends.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::body::Bytes;
use lambda_handler_protocol::error_types::{
    RESPONSE_SIZE_TOO_LARGE, RUNTIME_INVALID_RESPONSE_MODE, SANDBOX_TIMEDOUT,
    response_size_too_large_message, timed_out_message,
};
use lambda_handler_protocol::headers;
use lambda_handler_protocol::log_format::{self, Status};
use lambda_handler_protocol::paths::Answer;
use lambda_handler_protocol::rapid::{Environment, Reply, Verdict};
use tokio::sync::{Notify, mpsc, oneshot};

use crate::options::Options;

/// An invocation from the Invoke API.
pub(crate) struct Invocation {
    pub(crate) id: String,
    pub(crate) payload: Bytes,
    /// The caller's client context, JSON, for `Lambda-Runtime-Client-Context`.
    pub(crate) client_context: Option<String>,
    /// The caller's tenant (`X-Amz-Tenant-Id`), for `Lambda-Runtime-Aws-Tenant-Id`.
    pub(crate) tenant_id: Option<String>,
    /// Where the outcome goes; `None` for an `Event` invocation, whose value is discarded.
    pub(crate) reply: Option<oneshot::Sender<Completed>>,
    /// The caller asked for the log's tail (`X-Amz-Log-Type: Tail`).
    pub(crate) wants_log: bool,
}

/// An invocation's outcome, and the last 4 KB of its log when the caller asked for it.
#[derive(Debug)]
pub(crate) struct Completed {
    pub(crate) outcome: Outcome,
    pub(crate) log: Option<Vec<u8>>,
}

/// How an invocation ended, as the Invoke API reports it.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The function's response.
    Response(Bytes),
    /// A function error: Lambda's error JSON, sent with `X-Amz-Function-Error: Unhandled`.
    Error(Bytes),
    /// A streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`), its chunks
    /// as the runtime sends them.
    Streamed(mpsc::Receiver<StreamEvent>),
}

/// What a streamed response brings.
#[derive(Debug)]
pub(crate) enum StreamEvent {
    Chunk(Bytes),
    /// The end: the error that ended it early, if one did, and the invocation's log tail
    /// when its caller asked for it.
    End {
        error: Option<StreamError>,
        log: Option<Vec<u8>>,
    },
}

/// An error that ended a streamed response (its trailers said so, or the stream broke).
#[derive(Debug)]
pub(crate) struct StreamError {
    /// `Lambda-Runtime-Function-Error-Type`.
    pub(crate) error_type: String,
    /// The error JSON.
    pub(crate) body: Bytes,
}

/// How many chunks of a streamed response wait for its caller before the runtime is slowed:
/// memory stays a few chunks deep whatever the response's size.
const STREAM_DEPTH: usize = 4;

impl Outcome {
    /// A function error of the given type and message.
    pub(crate) fn error(error_type: &str, message: &str) -> Self {
        Outcome::Error(error_body(error_type, message))
    }
}

impl StreamError {
    /// A streamed response ended early by an error of the given type and message.
    pub(crate) fn new(error_type: &str, message: &str) -> Self {
        StreamError {
            error_type: error_type.to_owned(),
            body: error_body(error_type, message),
        }
    }
}

/// Lambda's error JSON.
fn error_body(error_type: &str, message: &str) -> Bytes {
    let body = serde_json::json!({"errorType": error_type, "errorMessage": message});
    Bytes::from(body.to_string())
}

/// The runtime process, as the Runtime API and the supervisor see it.
pub(crate) enum Child {
    Stopped,
    Running {
        /// Its process id, for the `REPORT` line's memory.
        pid: Option<u32>,
        /// Tells the task that owns the process to signal it: only that task may, since only
        /// it knows the process has not been reaped (and its pid not reused).
        signals: mpsc::UnboundedSender<StopSignal>,
        /// It asked `/next`: its initialization is over.
        initialized: bool,
        /// It reported `/init/error`, which already answered an invocation.
        init_failed: bool,
    },
}

/// How the runtime process is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopSignal {
    /// SIGTERM, as Lambda ends an execution environment: its shutdown hook may run.
    Terminate,
    /// SIGKILL, as Lambda resets an environment after a timeout.
    Kill,
}

/// The invocations in flight, as rapid tracks them, and where their outcomes go.
#[derive(Default)]
struct Runtime {
    environment: Environment,
    invocations: Vec<InFlight>,
    /// The runtime process, for the `REPORT` line's memory.
    pid: Option<u32>,
}

/// One invocation the runtime is working on.
struct InFlight {
    id: String,
    reply: Option<oneshot::Sender<Completed>>,
    wants_log: bool,
    /// When it was handed out, for the `REPORT` line.
    started: std::time::Instant,
    /// Its deadline, which a streamed response must end by.
    deadline: tokio::time::Instant,
    /// The task that ends it at its deadline, stopped when it ends first.
    deadline_watch: Option<tokio::task::AbortHandle>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(watch) = self.deadline_watch.take() {
            watch.abort();
        }
    }
}

/// An invocation `/next` handed out: what the runtime gets.
pub(crate) struct HandedOut {
    pub(crate) invocation: Invocation,
    /// The invocation's deadline, for `Lambda-Runtime-Deadline-Ms`.
    pub(crate) deadline: SystemTime,
    /// A nonce of this attempt, for `Lambda-Runtime-Invocation-Id`: the runtime echoes it.
    pub(crate) invocation_id: String,
}

pub(crate) struct Shared {
    pub(crate) options: Options,
    pub(crate) runtime_api: SocketAddr,
    pending: Mutex<VecDeque<Invocation>>,
    queued: Notify,
    runtime: Mutex<Runtime>,
    child: Mutex<Child>,
    /// The runtime's stdout and stderr.
    pub(crate) output: Arc<crate::logs::Output>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep serving.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(options: Options, runtime_api: SocketAddr) -> Self {
        let environment = Environment::with_concurrency(options.concurrency);
        Shared {
            options,
            runtime_api,
            pending: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            runtime: Mutex::new(Runtime {
                environment,
                ..Runtime::default()
            }),
            child: Mutex::new(Child::Stopped),
            output: Arc::default(),
        }
    }

    /// Queues an invocation for the runtime's next `/next`.
    pub(crate) fn enqueue(&self, invocation: Invocation) {
        lock(&self.pending).push_back(invocation);
        self.queued.notify_one();
    }

    pub(crate) fn has_pending(&self) -> bool {
        !lock(&self.pending).is_empty()
    }

    /// Takes back a queued invocation no runtime picked up (its caller gave up waiting).
    pub(crate) fn withdraw(&self, id: &str) -> bool {
        let mut pending = lock(&self.pending);
        let before = pending.len();
        pending.retain(|invocation| invocation.id != id);
        pending.len() != before
    }

    /// Waits for an invocation and makes it one in flight; its deadline starts now. With a
    /// concurrency above 1, waits too while that many are in flight (a streamed response
    /// counts until its stream ends), as Lambda hands a runtime no more.
    pub(crate) async fn next(self: &Arc<Self>) -> HandedOut {
        loop {
            // Created before the checks: an invocation queued, or one ended, meanwhile wakes it.
            let queued = self.queued.notified();
            let room = self.options.concurrency == 1
                || lock(&self.runtime).invocations.len() < self.options.concurrency;
            let popped = if room {
                lock(&self.pending).pop_front()
            } else {
                None
            };
            if let Some(mut invocation) = popped {
                // `checked_add`: a library caller may set any timeout.
                let deadline = SystemTime::now()
                    .checked_add(self.options.timeout)
                    .unwrap_or(SystemTime::now() + lambda_handler_protocol::limits::MAX_TIMEOUT);
                let invocation_id = lambda_handler_protocol::ids::request_id();
                let mut runtime = lock(&self.runtime);
                runtime
                    .environment
                    .handed_out(&invocation.id, &invocation_id);
                // With a concurrency of 1, a `/next` abandons the invocation in flight, as
                // rapid's transition to Ready does: its caller is told it is gone.
                let Runtime {
                    environment,
                    invocations,
                    ..
                } = &mut *runtime;
                let before = invocations.len();
                invocations.retain(|i| environment.is_in_flight(&i.id));
                let abandoned = before - invocations.len();
                for _ in 0..abandoned {
                    self.output.finish("");
                }
                runtime.invocations.push(InFlight {
                    id: invocation.id.clone(),
                    reply: invocation.reply.take(),
                    wants_log: invocation.wants_log,
                    started: std::time::Instant::now(),
                    deadline: tokio::time::Instant::now() + self.options.timeout,
                    deadline_watch: Some(self.watch_deadline(invocation.id.clone())),
                });
                drop(runtime);
                let start =
                    log_format::start(&invocation.id, self.options.log_json, SystemTime::now());
                self.output.begin(&start);
                return HandedOut {
                    invocation,
                    deadline,
                    invocation_id,
                };
            }
            queued.await;
        }
    }

    /// An invocation in flight ended: a `/next` waiting for room may go on.
    fn made_room(&self) {
        if self.options.concurrency > 1 {
            self.queued.notify_waiters();
        }
    }

    /// An answer from the runtime, `len` bytes (over the limit if `outcome` is `None`): rapid's
    /// verdict decides whether it ends the invocation, and the reply the runtime gets.
    pub(crate) fn answer(
        &self,
        (id, echoed): (&str, Option<&str>),
        answer: Answer,
        len: usize,
        outcome: Option<Outcome>,
    ) -> Reply {
        let mut runtime = lock(&self.runtime);
        let (verdict, reply) = runtime.environment.answer(id, echoed, answer, len);
        let outcome = match verdict {
            // (A response mode is judged only by `answer_in_unknown_mode`.)
            Verdict::Refused | Verdict::InvalidResponseMode => return reply,
            // rapid answers the caller itself when the response is over the limit.
            Verdict::TooLarge => {
                Outcome::error(RESPONSE_SIZE_TOO_LARGE, &response_size_too_large_message())
            }
            Verdict::Accepted => outcome.expect("an accepted answer was read whole"),
        };
        self.complete(&mut runtime, id, outcome);
        reply
    }

    /// A response to `id` in a mode rapid does not know (`mode`): rapid's verdict, which
    /// fails an invocation in flight with `Runtime.InvalidResponseModeHeader`.
    pub(crate) fn answer_in_unknown_mode(
        &self,
        (id, echoed): (&str, Option<&str>),
        mode: &str,
    ) -> Reply {
        let mut runtime = lock(&self.runtime);
        let (verdict, reply) = runtime.environment.answer_in_unknown_mode(id, echoed);
        if verdict == Verdict::InvalidResponseMode {
            let message = format!(
                "the runtime posted its response with {}: {mode:?}, which is neither absent nor {:?}",
                headers::RESPONSE_MODE,
                headers::STREAMING
            );
            let outcome = Outcome::error(RUNTIME_INVALID_RESPONSE_MODE, &message);
            self.complete(&mut runtime, id, outcome);
        }
        reply
    }

    /// A streamed response to `id` begins: rapid's verdict, and when it is taken, where its
    /// chunks go (the invocation's caller gets them as they arrive) and the deadline it must
    /// end by. Its log is captured until [`Shared::end_stream`].
    pub(crate) fn begin_stream(
        &self,
        (id, echoed): (&str, Option<&str>),
    ) -> Result<(mpsc::Sender<StreamEvent>, tokio::time::Instant), Reply> {
        let mut runtime = lock(&self.runtime);
        let (verdict, reply) = runtime.environment.answer_streamed(id, echoed, 0);
        if verdict != Verdict::Accepted {
            return Err(reply);
        }
        let (chunks, received) = mpsc::channel(STREAM_DEPTH);
        let Some(streaming) = runtime.invocations.iter_mut().find(|i| i.id == id) else {
            return Err(Reply::invalid_request_id());
        };
        // The stream's own deadline ends it (see `runtime_api::streamed`).
        if let Some(watch) = streaming.deadline_watch.take() {
            watch.abort();
        }
        let deadline = streaming.deadline;
        let outcome = Outcome::Streamed(received);
        deliver(id, streaming.reply.take(), Completed { outcome, log: None });
        Ok((chunks, deadline))
    }

    /// A streamed response to `id` has ended: its log's capture ends; its tail when the caller
    /// asked for it. `timed_out`: its deadline cut it off, which resets the environment as any
    /// timeout does (with a concurrency of 1).
    pub(crate) fn end_stream(&self, id: &str, timed_out: bool) -> Option<Vec<u8>> {
        let mut runtime = lock(&self.runtime);
        let index = runtime.invocations.iter().position(|i| i.id == id)?;
        let invocation = runtime.invocations.swap_remove(index);
        let status = if timed_out {
            Status::Timeout
        } else {
            Status::Success
        };
        let log = self.finish_log(&runtime, &invocation, status);
        drop(runtime);
        self.made_room();
        if timed_out {
            self.timed_out();
        }
        invocation.wants_log.then_some(log)
    }

    /// Ends an invocation in flight: its log's capture, then its outcome to the caller.
    fn complete(&self, runtime: &mut Runtime, id: &str, outcome: Outcome) {
        let status = match &outcome {
            Outcome::Error(_) => Status::Error,
            _ => Status::Success,
        };
        self.complete_as(runtime, id, outcome, status);
    }

    /// [`Shared::complete`], the platform's report saying `status`.
    fn complete_as(&self, runtime: &mut Runtime, id: &str, outcome: Outcome, status: Status) {
        let Some(index) = runtime.invocations.iter().position(|i| i.id == id) else {
            return;
        };
        let mut invocation = runtime.invocations.swap_remove(index);
        let log = self.finish_log(runtime, &invocation, status);
        let log = invocation.wants_log.then_some(log);
        deliver(id, invocation.reply.take(), Completed { outcome, log });
        self.made_room();
    }

    /// Ends an invocation's log capture with the platform's lines (`END` and `REPORT`, or
    /// `platform.report`, as Lambda writes them in the function's log format): what it wrote.
    fn finish_log(&self, runtime: &Runtime, invocation: &InFlight, status: Status) -> Vec<u8> {
        let report = log_format::Report {
            request_id: &invocation.id,
            duration: invocation.started.elapsed(),
            memory_size_mb: self.options.memory_mb,
            max_memory_used_mb: runtime.pid.map_or(0, max_memory_mb),
            status,
            timeout: self.options.timeout,
        };
        let lines = log_format::end(&report, self.options.log_json, SystemTime::now());
        self.output.finish(&lines)
    }

    /// Ends every invocation in flight with `outcome(id)`; true when there was one.
    pub(crate) fn fail_inflight(&self, outcome: impl Fn(&str) -> Outcome) -> bool {
        let mut runtime = lock(&self.runtime);
        let ids = runtime.environment.in_flight().to_vec();
        for id in &ids {
            runtime.environment.close(id);
            self.complete(&mut runtime, id, outcome(id));
        }
        !ids.is_empty()
    }

    /// A new runtime process starts: no invocation is in flight for it.
    pub(crate) fn reset_runtime(&self, pid: Option<u32>) {
        *lock(&self.runtime) = Runtime {
            environment: Environment::with_concurrency(self.options.concurrency),
            invocations: Vec::new(),
            pid,
        };
    }

    /// Ends the first queued invocation with `outcome(id)`: the one whose cold start failed.
    pub(crate) fn fail_first_pending(&self, outcome: impl FnOnce(&str) -> Outcome) -> bool {
        let Some(invocation) = lock(&self.pending).pop_front() else {
            return false;
        };
        let outcome = outcome(&invocation.id);
        let completed = Completed { outcome, log: None };
        deliver(&invocation.id, invocation.reply, completed);
        true
    }

    /// The runtime asked `/next`: its initialization is over.
    pub(crate) fn mark_initialized(&self) {
        if let Child::Running { initialized, .. } = &mut *lock(&self.child) {
            *initialized = true;
        }
    }

    /// The runtime reported `/init/error`, which answers the invocation whose cold start it was.
    pub(crate) fn mark_init_failed(&self) {
        if let Child::Running { init_failed, .. } = &mut *lock(&self.child) {
            *init_failed = true;
        }
    }

    /// Stops the runtime process, as Lambda resets an execution environment after a timeout.
    pub(crate) fn stop_child(&self) {
        self.signal_child(StopSignal::Kill);
    }

    /// Asks the task that owns the runtime process to signal it.
    pub(crate) fn signal_child(&self, signal: StopSignal) {
        if let Child::Running { signals, .. } = &*lock(&self.child) {
            let _ = signals.send(signal);
        }
    }

    /// Ends the invocation `id` at its deadline, if it is still in flight then; a streamed
    /// response ends itself (see `runtime_api::streamed`).
    fn watch_deadline(self: &Arc<Self>, id: String) -> tokio::task::AbortHandle {
        let shared = Arc::clone(self);
        let watch = tokio::spawn(async move {
            tokio::time::sleep(shared.options.timeout).await;
            let mut runtime = lock(&shared.runtime);
            // A late answer to it is refused with 410 `InvokeTimeout`.
            if !runtime.environment.time_out(&id) {
                return;
            }
            let message = shared.timeout_message(&id);
            let outcome = Outcome::error(SANDBOX_TIMEDOUT, &message);
            shared.complete_as(&mut runtime, &id, outcome, Status::Timeout);
            drop(runtime);
            shared.timed_out();
        });
        watch.abort_handle()
    }

    /// Lambda's message for the invocation `id` timing out.
    pub(crate) fn timeout_message(&self, id: &str) -> String {
        timed_out_message(id, self.options.timeout.as_secs_f64())
    }

    /// An invocation timed out. Lambda resets an execution environment that serves one
    /// invocation at a time: the runtime is stopped and started again for the next one. On
    /// Lambda Managed Instances (a concurrency above 1) the other invocations in flight go on:
    /// only the one invocation is closed.
    fn timed_out(&self) {
        if self.options.concurrency == 1 {
            self.stop_child();
        }
    }

    /// The runtime's process id, while it runs.
    pub(crate) fn child_pid(&self) -> Option<u32> {
        match &*lock(&self.child) {
            Child::Running { pid, .. } => *pid,
            Child::Stopped => None,
        }
    }

    /// The child process's state, locked.
    pub(crate) fn child(&self) -> MutexGuard<'_, Child> {
        lock(&self.child)
    }
}

/// The runtime's peak resident set, in MB, as `Max Memory Used` reports it.
fn max_memory_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0, |kib| kib.div_ceil(1024))
}

fn deliver(id: &str, reply: Option<oneshot::Sender<Completed>>, completed: Completed) {
    match reply {
        Some(reply) => {
            // The caller may have gone; the outcome then has no one to go to.
            let _ = reply.send(completed);
        }
        None => {
            if let Outcome::Error(body) = &completed.outcome {
                eprintln!(
                    "lambda-emulator: event invocation {id} failed: {}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    }
}

/// Milliseconds since the epoch, as `Lambda-Runtime-Deadline-Ms` carries them.
pub(crate) fn epoch_ms(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_millis()
}
