//! The invocations waiting for the runtime to ask for them, first come first served.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::lock;
use super::outcome::{Completed, Invocation, Outcome, deliver};

/// The queue, and a signal for a `/next` waiting on it.
#[derive(Default)]
pub(crate) struct Queue {
    pending: Mutex<VecDeque<Invocation>>,
    queued: Notify,
}

impl Queue {
    /// Queues an invocation for the runtime's next `/next`.
    pub(crate) fn enqueue(&self, invocation: Invocation) {
        lock(&self.pending).push_back(invocation);
        self.queued.notify_one();
    }

    pub(crate) fn has_pending(&self) -> bool {
        !lock(&self.pending).is_empty()
    }

    /// The oldest invocation, if any.
    pub(crate) fn pop(&self) -> Option<Invocation> {
        lock(&self.pending).pop_front()
    }

    /// Resolves once an invocation may have been queued since it was created.
    pub(crate) fn queued(&self) -> tokio::sync::futures::Notified<'_> {
        self.queued.notified()
    }

    /// Takes back a queued invocation no runtime picked up (its caller gave up waiting).
    pub(crate) fn withdraw(&self, id: &str) -> bool {
        let mut pending = lock(&self.pending);
        let before = pending.len();
        pending.retain(|invocation| invocation.id != id);
        pending.len() != before
    }

    /// Ends the first queued invocation with `outcome(id)`: the one whose cold start failed.
    pub(crate) fn fail_first(&self, outcome: impl FnOnce(&str) -> Outcome) -> bool {
        let Some(invocation) = self.pop() else {
            return false;
        };
        let outcome = outcome(&invocation.id);
        let completed = Completed { outcome, log: None };
        deliver(&invocation.id, invocation.reply, completed);
        true
    }
}
