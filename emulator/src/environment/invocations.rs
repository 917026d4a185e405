//! The invocations the runtime is working on, as rapid tracks them (the protocol crate's
//! model), with where each one's outcome goes, its deadline, and its log's capture.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use lambda_handler_protocol::error_types::{
    RESPONSE_SIZE_TOO_LARGE, RUNTIME_INVALID_RESPONSE_MODE, SANDBOX_TIMEDOUT,
    response_size_too_large_message, timed_out_message,
};
use lambda_handler_protocol::headers;
use lambda_handler_protocol::log_format::{self, Status};
use lambda_handler_protocol::paths::Answer;
use lambda_handler_protocol::rapid::{Environment, Reply, Verdict};
use tokio::sync::{Notify, mpsc, oneshot};

use super::lock;
use super::outcome::{Completed, Invocation, Outcome, STREAM_DEPTH, StreamEvent, deliver};
use crate::logs::Output;

/// What the table needs of the emulator's settings.
#[derive(Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) concurrency: usize,
    pub(crate) timeout: Duration,
    pub(crate) memory_mb: u32,
    pub(crate) log_json: bool,
}

/// An invocation's answer from the runtime: to which request id, echoing which invocation id.
pub(crate) type AnswerTo<'a> = (&'a str, Option<&'a str>);

/// The invocations in flight.
pub(crate) struct Invocations {
    settings: Settings,
    table: Mutex<Table>,
    /// Signalled when one ends: a `/next` waiting for room may go on.
    room: Notify,
    /// The runtime's stdout and stderr, whose capture each invocation begins and ends.
    output: Arc<Output>,
}

#[derive(Default)]
struct Table {
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

impl Invocations {
    pub(crate) fn new(settings: Settings, output: Arc<Output>) -> Self {
        Invocations {
            settings,
            table: Mutex::new(Table {
                environment: Environment::with_concurrency(settings.concurrency),
                ..Table::default()
            }),
            room: Notify::new(),
            output,
        }
    }

    /// Whether another invocation may be handed out: always with a concurrency of 1 (a
    /// `/next` then abandons the one in flight, as rapid's transition to Ready does); else
    /// while fewer than the concurrency are in flight, a streamed response counting until its
    /// stream ends.
    pub(crate) fn has_room(&self) -> bool {
        self.settings.concurrency == 1
            || lock(&self.table).invocations.len() < self.settings.concurrency
    }

    /// Resolves once an invocation may have ended since it was created.
    pub(crate) fn room(&self) -> tokio::sync::futures::Notified<'_> {
        self.room.notified()
    }

    /// The runtime asked for `/next`: its init is over (see [`Environment::next_requested`]).
    pub(crate) fn next_requested(&self) {
        lock(&self.table).environment.next_requested();
    }

    /// rapid's reply to `/init/error`: taken during init, else 403 (see
    /// [`Environment::init_error`]).
    pub(crate) fn init_error(&self) -> Reply {
        lock(&self.table).environment.init_error()
    }

    /// Makes `invocation` one in flight, ended at its deadline by `deadline_watch`: the
    /// invocation id of this attempt, which the runtime echoes.
    pub(crate) fn hand_out(
        &self,
        invocation: &mut Invocation,
        deadline_watch: tokio::task::AbortHandle,
    ) -> String {
        let invocation_id = lambda_handler_protocol::ids::request_id();
        let mut table = lock(&self.table);
        let Table {
            environment,
            invocations,
            ..
        } = &mut *table;
        environment.handed_out(&invocation.id, &invocation_id);
        // With a concurrency of 1, a `/next` abandons the invocation in flight: its caller is
        // told it is gone.
        let before = invocations.len();
        invocations.retain(|i| environment.is_in_flight(&i.id));
        for _ in invocations.len()..before {
            self.output.finish("");
        }
        invocations.push(InFlight {
            id: invocation.id.clone(),
            reply: invocation.reply.take(),
            wants_log: invocation.wants_log,
            started: std::time::Instant::now(),
            deadline: tokio::time::Instant::now() + self.settings.timeout,
            deadline_watch: Some(deadline_watch),
        });
        drop(table);
        let start = log_format::start(&invocation.id, self.settings.log_json, SystemTime::now());
        self.output.begin(&start);
        invocation_id
    }

    /// An answer from the runtime, `len` bytes (over the limit if `outcome` is `None`): rapid's
    /// verdict decides whether it ends the invocation, and the reply the runtime gets.
    pub(crate) fn answer(
        &self,
        (id, echoed): AnswerTo<'_>,
        answer: Answer,
        len: usize,
        outcome: Option<Outcome>,
    ) -> Reply {
        let mut table = lock(&self.table);
        let (verdict, reply) = table.environment.answer(id, echoed, answer, len);
        let outcome = match verdict {
            // (A response mode is judged only by `answer_in_unknown_mode`.)
            Verdict::Refused | Verdict::InvalidResponseMode => return reply,
            // rapid answers the caller itself when the response is over the limit.
            Verdict::TooLarge => {
                Outcome::error(RESPONSE_SIZE_TOO_LARGE, &response_size_too_large_message())
            }
            Verdict::Accepted => outcome.expect("an accepted answer was read whole"),
        };
        self.complete(&mut table, id, outcome);
        reply
    }

    /// A response to `id` in a mode rapid does not know (`mode`): rapid's verdict, which
    /// fails an invocation in flight with `Runtime.InvalidResponseModeHeader`.
    pub(crate) fn answer_in_unknown_mode(&self, (id, echoed): AnswerTo<'_>, mode: &str) -> Reply {
        let mut table = lock(&self.table);
        let (verdict, reply) = table.environment.answer_in_unknown_mode(id, echoed);
        if verdict == Verdict::InvalidResponseMode {
            let message = format!(
                "the runtime posted its response with {}: {mode:?}, which is neither absent nor {:?}",
                headers::RESPONSE_MODE,
                headers::STREAMING
            );
            let outcome = Outcome::error(RUNTIME_INVALID_RESPONSE_MODE, &message);
            self.complete(&mut table, id, outcome);
        }
        reply
    }

    /// A streamed response to `id` begins: rapid's verdict, and when it is taken, where its
    /// chunks go (the invocation's caller gets them as they arrive) and the deadline it must
    /// end by. Its log is captured until [`Invocations::end_stream`].
    pub(crate) fn begin_stream(
        &self,
        (id, echoed): AnswerTo<'_>,
        content_type: Option<String>,
    ) -> Result<(mpsc::Sender<StreamEvent>, tokio::time::Instant), Reply> {
        let mut table = lock(&self.table);
        let (verdict, reply) = table.environment.answer_streamed(id, echoed, 0);
        if verdict != Verdict::Accepted {
            return Err(reply);
        }
        let (chunks, received) = mpsc::channel(STREAM_DEPTH);
        let Some(streaming) = table.invocations.iter_mut().find(|i| i.id == id) else {
            return Err(Reply::invalid_request_id());
        };
        // The stream's own deadline ends it (see `runtime_api::streamed`).
        if let Some(watch) = streaming.deadline_watch.take() {
            watch.abort();
        }
        let deadline = streaming.deadline;
        let outcome = Outcome::Streamed {
            content_type,
            chunks: received,
        };
        deliver(id, streaming.reply.take(), Completed { outcome, log: None });
        Ok((chunks, deadline))
    }

    /// A streamed response to `id` has ended, cut off at its deadline when `timed_out`: its
    /// log's capture ends; its tail when the caller asked for it.
    pub(crate) fn end_stream(&self, id: &str, timed_out: bool) -> Option<Vec<u8>> {
        let mut table = lock(&self.table);
        let index = table.invocations.iter().position(|i| i.id == id)?;
        let invocation = table.invocations.swap_remove(index);
        let status = if timed_out {
            Status::Timeout
        } else {
            Status::Success
        };
        let log = self.finish_log(&table, &invocation, status);
        drop(table);
        self.room.notify_waiters();
        invocation.wants_log.then_some(log)
    }

    /// Ends the invocation `id` at its deadline, when it is still in flight: its caller gets
    /// `Sandbox.Timedout`, and a late answer 410 `InvokeTimeout`. False when it was not.
    pub(crate) fn time_out(&self, id: &str) -> bool {
        let mut table = lock(&self.table);
        if !table.environment.time_out(id) {
            return false;
        }
        let message = self.timeout_message(id);
        let outcome = Outcome::error(SANDBOX_TIMEDOUT, &message);
        self.complete_as(&mut table, id, outcome, Status::Timeout);
        true
    }

    /// Lambda's message for the invocation `id` timing out.
    pub(crate) fn timeout_message(&self, id: &str) -> String {
        timed_out_message(id, self.settings.timeout.as_secs_f64())
    }

    /// Ends every invocation in flight with `outcome(id)`; true when there was one.
    pub(crate) fn fail_all(&self, outcome: impl Fn(&str) -> Outcome) -> bool {
        let mut table = lock(&self.table);
        let ids = table.environment.in_flight().to_vec();
        for id in &ids {
            table.environment.close(id);
            self.complete(&mut table, id, outcome(id));
        }
        !ids.is_empty()
    }

    /// A new runtime process starts: no invocation is in flight for it.
    pub(crate) fn reset(&self, pid: Option<u32>) {
        *lock(&self.table) = Table {
            environment: Environment::with_concurrency(self.settings.concurrency),
            invocations: Vec::new(),
            pid,
        };
    }

    /// Ends an invocation in flight: its log's capture, then its outcome to the caller.
    fn complete(&self, table: &mut Table, id: &str, outcome: Outcome) {
        let status = match &outcome {
            Outcome::Error(_) => Status::Error,
            _ => Status::Success,
        };
        self.complete_as(table, id, outcome, status);
    }

    /// [`Invocations::complete`], the platform's report saying `status`.
    fn complete_as(&self, table: &mut Table, id: &str, outcome: Outcome, status: Status) {
        let Some(index) = table.invocations.iter().position(|i| i.id == id) else {
            return;
        };
        let mut invocation = table.invocations.swap_remove(index);
        let log = self.finish_log(table, &invocation, status);
        let log = invocation.wants_log.then_some(log);
        deliver(id, invocation.reply.take(), Completed { outcome, log });
        self.room.notify_waiters();
    }

    /// Ends an invocation's log capture with the platform's lines (`END` and `REPORT`, or
    /// `platform.report`, as Lambda writes them in the function's log format): what it wrote.
    fn finish_log(&self, table: &Table, invocation: &InFlight, status: Status) -> Vec<u8> {
        let report = log_format::Report {
            request_id: &invocation.id,
            duration: invocation.started.elapsed(),
            memory_size_mb: self.settings.memory_mb,
            max_memory_used_mb: table.pid.map_or(0, max_memory_mb),
            status,
            timeout: self.settings.timeout,
        };
        let lines = log_format::end(&report, self.settings.log_json, SystemTime::now());
        self.output.finish(&lines)
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
