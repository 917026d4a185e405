//! The one execution environment the emulator models: invocations waiting for the runtime,
//! the one the runtime is working on, and how each ends.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hyper::body::Bytes;
use tokio::sync::{Notify, oneshot};

use crate::Options;
use crate::supervisor::Child;

/// An invocation from the Invoke API.
pub(crate) struct Invocation {
    pub(crate) id: String,
    pub(crate) payload: Bytes,
    /// The caller's client context, JSON, for `Lambda-Runtime-Client-Context`.
    pub(crate) client_context: Option<String>,
    /// The caller's tenant (`X-Amz-Tenant-Id`), for `Lambda-Runtime-Aws-Tenant-Id`.
    pub(crate) tenant_id: Option<String>,
    /// Where the outcome goes; `None` for an `Event` invocation, whose value is discarded.
    pub(crate) reply: Option<oneshot::Sender<Outcome>>,
}

/// How an invocation ended, as the Invoke API reports it.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The function's response.
    Response(Bytes),
    /// A function error: Lambda's error JSON, sent with `X-Amz-Function-Error: Unhandled`.
    Error(Bytes),
}

impl Outcome {
    /// A function error of the given type and message.
    pub(crate) fn error(error_type: &str, message: &str) -> Self {
        let body = serde_json::json!({"errorType": error_type, "errorMessage": message});
        Outcome::Error(Bytes::from(body.to_string()))
    }
}

/// The invocation the runtime took with `/next` and has not answered.
pub(crate) struct InFlight {
    pub(crate) id: String,
    reply: Option<oneshot::Sender<Outcome>>,
}

/// Why the Runtime API refuses an answer.
pub(crate) enum Refused {
    /// No invocation in flight has this id (unknown, or already answered).
    UnknownId,
}

pub(crate) struct Shared {
    pub(crate) options: Options,
    pub(crate) runtime_api: SocketAddr,
    pending: Mutex<VecDeque<Invocation>>,
    queued: Notify,
    inflight: Mutex<Option<InFlight>>,
    pub(crate) child: Mutex<Child>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves plain data behind; keep serving.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    pub(crate) fn new(options: Options, runtime_api: SocketAddr) -> Self {
        Shared {
            options,
            runtime_api,
            pending: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            inflight: Mutex::new(None),
            child: Mutex::new(Child::Stopped),
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

    /// Waits for an invocation and makes it the one in flight; its deadline starts now.
    pub(crate) async fn next(self: &Arc<Self>) -> (Invocation, SystemTime) {
        loop {
            let queued = self.queued.notified();
            if let Some(mut invocation) = lock(&self.pending).pop_front() {
                let deadline = SystemTime::now() + self.options.timeout;
                *lock(&self.inflight) = Some(InFlight {
                    id: invocation.id.clone(),
                    reply: invocation.reply.take(),
                });
                self.watch_deadline(invocation.id.clone());
                return (invocation, deadline);
            }
            queued.await;
        }
    }

    /// Ends the invocation in flight with the runtime's answer.
    pub(crate) fn answer(&self, id: &str, outcome: Outcome) -> Result<(), Refused> {
        let inflight = self.take_inflight(id).ok_or(Refused::UnknownId)?;
        deliver(&inflight.id, inflight.reply, outcome);
        Ok(())
    }

    /// The invocation in flight, when it is `id`'s: an answer, or its deadline, ends it once.
    fn take_inflight(&self, id: &str) -> Option<InFlight> {
        let mut slot = lock(&self.inflight);
        match slot.as_ref() {
            Some(inflight) if inflight.id == id => slot.take(),
            _ => None,
        }
    }

    /// Ends the invocation in flight, if any, with `outcome(id)`; true when there was one.
    pub(crate) fn fail_inflight(&self, outcome: impl FnOnce(&str) -> Outcome) -> bool {
        let Some(inflight) = lock(&self.inflight).take() else {
            return false;
        };
        let outcome = outcome(&inflight.id);
        deliver(&inflight.id, inflight.reply, outcome);
        true
    }

    /// Ends the first queued invocation with `outcome(id)`: the one whose cold start failed.
    pub(crate) fn fail_first_pending(&self, outcome: impl FnOnce(&str) -> Outcome) -> bool {
        let Some(invocation) = lock(&self.pending).pop_front() else {
            return false;
        };
        let outcome = outcome(&invocation.id);
        deliver(&invocation.id, invocation.reply, outcome);
        true
    }

    fn watch_deadline(self: &Arc<Self>, id: String) {
        let shared = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(shared.options.timeout).await;
            let timed_out = shared.take_inflight(&id);
            if let Some(inflight) = timed_out {
                let seconds = shared.options.timeout.as_secs_f64();
                let message =
                    format!("RequestId: {id} Error: Task timed out after {seconds:.2} seconds");
                deliver(
                    &id,
                    inflight.reply,
                    Outcome::error("Sandbox.Timedout", &message),
                );
                // Lambda resets the execution environment after a timeout.
                crate::supervisor::stop(&shared);
            }
        });
    }
}

fn deliver(id: &str, reply: Option<oneshot::Sender<Outcome>>, outcome: Outcome) {
    match reply {
        Some(reply) => {
            // The caller may have gone; the outcome then has no one to go to.
            let _ = reply.send(outcome);
        }
        None => {
            if let Outcome::Error(body) = &outcome {
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
