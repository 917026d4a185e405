//! The runtime process, as the Runtime API and the supervisor see it: whether it runs, whether
//! its initialization is over, and how to ask it to stop.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::lock;

/// How the runtime process is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StopSignal {
    /// SIGTERM, as Lambda ends an execution environment: its shutdown hook may run.
    Terminate,
    /// SIGKILL, as Lambda resets an environment after a timeout.
    Kill,
}

/// The runtime process's state.
pub(crate) enum Child {
    Stopped,
    Running {
        /// Which start of the runtime this is (see [`Process::serving`]).
        start: u64,
        /// It was signalled to stop: it is handed no more invocations.
        stopping: bool,
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

/// The runtime process, shared by the Runtime API (which learns of its progress) and the
/// supervisor (which starts, signals and reaps it).
pub(crate) struct Process {
    child: Mutex<Child>,
    starts: AtomicU64,
}

impl Default for Process {
    fn default() -> Self {
        Process {
            child: Mutex::new(Child::Stopped),
            starts: AtomicU64::new(0),
        }
    }
}

impl Process {
    /// A number for the next start of the runtime, unlike every earlier one's.
    pub(crate) fn next_start(&self) -> u64 {
        self.starts.fetch_add(1, Ordering::Relaxed)
    }

    /// The start of the runtime that may be handed invocations: the one running, unless it
    /// was signalled to stop. A `/next` that arrived during another start (from a runtime
    /// being killed after a timeout, whose request raced the kill) must hand out nothing:
    /// the invocation would die with that process, as on Lambda, where a reset environment
    /// asks for nothing more.
    pub(crate) fn serving(&self) -> Option<u64> {
        match &*lock(&self.child) {
            Child::Running {
                start,
                stopping: false,
                ..
            } => Some(*start),
            _ => None,
        }
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
    pub(crate) fn kill(&self) {
        self.signal(StopSignal::Kill);
    }

    /// Asks the task that owns the runtime process to signal it.
    pub(crate) fn signal(&self, signal: StopSignal) {
        if let Child::Running {
            signals, stopping, ..
        } = &mut *lock(&self.child)
        {
            *stopping = true;
            let _ = signals.send(signal);
        }
    }

    /// The runtime's process id, while it runs.
    pub(crate) fn pid(&self) -> Option<u32> {
        match &*lock(&self.child) {
            Child::Running { pid, .. } => *pid,
            Child::Stopped => None,
        }
    }

    /// The state, locked, for the supervisor.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Child> {
        lock(&self.child)
    }
}
