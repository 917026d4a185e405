//! One invocation's view of a durable execution: the history it replays, the checkpoint
//! token, the updates not yet sent, and when the invocation has to stop.
//!
//! An invocation stops in one of two ways. It *suspends* (answers `PENDING`) when every
//! running branch of the handler waits on the service: a wait that has not elapsed, a
//! callback not yet completed, a step retry not yet due. It *halts* when the execution
//! cannot go on correctly (a replay that does not match the history, a checkpoint the
//! service refused). Operations that suspend or halt never return to user code: their
//! futures stay pending, and the driver answers once nothing else can make progress.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;

use super::model::{ErrorObject, Operation, OperationUpdate};
use super::service::{self, ServiceError};

/// Why an invocation halted.
#[derive(Debug, Clone)]
pub(crate) enum Halt {
    /// The execution fails with this error.
    Fail(ErrorObject),
    /// The invocation fails, and the service tries it again (throttling, the network).
    Retry(ErrorObject),
}

/// Shared by every context of one invocation.
pub(crate) struct Execution {
    pub(crate) arn: String,
    state: Mutex<State>,
    /// Checkpoints go one at a time: each consumes the token the previous one returned.
    send: tokio::sync::Mutex<()>,
}

struct State {
    token: String,
    operations: HashMap<String, Operation>,
    pending: Vec<OperationUpdate>,
    /// The history held operations besides the execution's own when the invocation began.
    replaying: bool,
    /// Branches of the handler running now: the handler itself, or the branches of a
    /// `map` or `parallel` while their parent waits for them.
    active: usize,
    /// Branches that wait on the service.
    suspended: usize,
    halt: Option<Halt>,
    /// The driver, to be woken when it may have to answer.
    driver: Option<Waker>,
}

impl Execution {
    pub(crate) fn new(arn: String, token: String, operations: Vec<Operation>) -> Arc<Self> {
        let replaying = operations.iter().any(is_recorded_work);
        Arc::new(Execution {
            arn,
            state: Mutex::new(State {
                token,
                operations: operations
                    .into_iter()
                    .map(|op| (op.id.clone(), op))
                    .collect(),
                pending: Vec::new(),
                replaying,
                active: 1,
                suspended: 0,
                halt: None,
                driver: None,
            }),
            send: tokio::sync::Mutex::new(()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while the lock is held leaves the maps whole: take the data.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The recorded operation `id`, if the history has it.
    pub(crate) fn operation(&self, id: &str) -> Option<Operation> {
        self.state().operations.get(id).cloned()
    }

    /// The execution's own operation (its input).
    pub(crate) fn execution_operation(&self) -> Option<Operation> {
        self.state()
            .operations
            .values()
            .find(|op| op.kind == super::model::OperationType::Execution)
            .cloned()
    }

    /// Whether the invocation began with operations recorded by earlier ones (a replay); what
    /// this invocation records does not change it.
    pub(crate) fn replaying(&self) -> bool {
        self.state().replaying
    }

    /// Adds history pages after the first (`GetDurableExecutionState`).
    pub(crate) async fn fetch_pages(&self, mut marker: Option<String>) -> Result<(), Halt> {
        while let Some(page) = marker.take() {
            let token = self.state().token.clone();
            let (operations, next) = service::state_page(&self.arn, &token, &page)
                .await
                .map_err(halt_for)?;
            let mut state = self.state();
            for op in operations {
                state.replaying |= is_recorded_work(&op);
                state.operations.insert(op.id.clone(), op);
            }
            marker = next;
        }
        Ok(())
    }

    /// Queues `update`, to go with the next checkpoint.
    pub(crate) fn queue(&self, update: OperationUpdate) {
        self.state().pending.push(update);
    }

    /// Queues `update`; with `sync`, sends every queued update now and waits for the answer.
    pub(crate) async fn checkpoint(&self, update: OperationUpdate, sync: bool) -> Result<(), Halt> {
        self.queue(update);
        if sync { self.flush().await } else { Ok(()) }
    }

    /// Sends the queued updates, if any, in one checkpoint.
    pub(crate) async fn flush(&self) -> Result<(), Halt> {
        let _turn = self.send.lock().await;
        let (token, updates) = {
            let mut state = self.state();
            if let Some(halt) = &state.halt {
                return Err(halt.clone());
            }
            if state.pending.is_empty() {
                return Ok(());
            }
            (state.token.clone(), std::mem::take(&mut state.pending))
        };
        match service::checkpoint(&self.arn, &token, updates).await {
            Ok((token, operations)) => {
                let mut state = self.state();
                state.token = token;
                for op in operations {
                    state.operations.insert(op.id.clone(), op);
                }
                Ok(())
            }
            Err(error) => {
                let halt = halt_for(error);
                self.halt(halt.clone());
                Err(halt)
            }
        }
    }

    /// Stops the invocation with `halt` (the first reason wins).
    pub(crate) fn halt(&self, halt: Halt) {
        let mut state = self.state();
        state.halt.get_or_insert(halt);
        if let Some(driver) = state.driver.take() {
            driver.wake();
        }
    }

    /// What the driver should answer now that the handler cannot go on by itself: a halt,
    /// or `Some(None)` when every running branch is suspended. `None` registers `waker`.
    pub(crate) fn stopped(&self, waker: &Waker) -> Option<Option<Halt>> {
        let mut state = self.state();
        if let Some(halt) = &state.halt {
            return Some(Some(halt.clone()));
        }
        if state.suspended > 0 && state.suspended >= state.active {
            return Some(None);
        }
        state.driver = Some(waker.clone());
        None
    }

    fn wake_driver(state: &mut State) {
        if let Some(driver) = state.driver.take() {
            driver.wake();
        }
    }

    /// Marks the calling branch as waiting on the service until the guard is dropped (when
    /// a completed `map` drops a branch it no longer needs).
    pub(crate) fn suspend(self: &Arc<Self>) -> BranchMark {
        let mut state = self.state();
        state.suspended += 1;
        Self::wake_driver(&mut state);
        BranchMark {
            execution: Arc::clone(self),
            suspended: true,
        }
    }

    /// Counts one more running branch until the guard is dropped.
    pub(crate) fn branch(self: &Arc<Self>) -> BranchMark {
        self.state().active += 1;
        BranchMark {
            execution: Arc::clone(self),
            suspended: false,
        }
    }

    /// The calling branch waits for its children: it does not count as running until the
    /// guard is dropped.
    pub(crate) fn waiting_on_children(self: &Arc<Self>) -> ParentMark {
        let mut state = self.state();
        state.active -= 1;
        Self::wake_driver(&mut state);
        ParentMark {
            execution: Arc::clone(self),
        }
    }
}

/// A branch running, or a branch suspended, for as long as it lives.
pub(crate) struct BranchMark {
    execution: Arc<Execution>,
    suspended: bool,
}

impl Drop for BranchMark {
    fn drop(&mut self) {
        let mut state = self.execution.state();
        if self.suspended {
            state.suspended -= 1;
        } else {
            state.active -= 1;
        }
        Execution::wake_driver(&mut state);
    }
}

/// A parent branch waiting on its children, for as long as it lives.
pub(crate) struct ParentMark {
    execution: Arc<Execution>,
}

impl Drop for ParentMark {
    fn drop(&mut self) {
        self.execution.state().active += 1;
    }
}

/// An operation of the handler's, not the execution's own.
fn is_recorded_work(op: &Operation) -> bool {
    op.kind != super::model::OperationType::Execution
}

fn halt_for(error: ServiceError) -> Halt {
    if error.retryable {
        Halt::Retry(error.error)
    } else {
        Halt::Fail(error.error)
    }
}
