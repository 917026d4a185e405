//! The durable-execution service, for a durable function (`--durable`, or a
//! `#[lambda_handler(durable)]` binary's `--serve`): an `Invoke` starts an execution, the
//! function's checkpoints and state reads come back to this port (the child's
//! `AWS_ENDPOINT_URL_LAMBDA`), and the service invokes the function again when a wait ends, a
//! retried step is due or a callback completes, until the execution ends or times out.
//! Callers follow it with `GetDurableExecution(History)` and complete callbacks, as boto3 and
//! the AWS CLI do against Lambda.
//!
//! - `execution`: one execution's operations, history, token and timers.
//! - `driver`: the invocations of one execution.
//! - `api`: the API's routes.
//! - `clock`: the wall clock, or one that skips the waits (`--skip-time`).

mod api;
mod clock;
mod driver;
mod execution;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::body::Bytes;
use tokio::sync::{Notify, watch};

use crate::environment::Environment;
use crate::options::DurableOptions;
use clock::Clock;
use execution::Execution;

pub(crate) use api::{is_durable_api, route};

/// Every execution of the function, by ARN, and where callbacks lead.
pub(crate) struct Service {
    options: DurableOptions,
    clock: Clock,
    executions: Mutex<Executions>,
}

#[derive(Default)]
struct Executions {
    by_arn: HashMap<String, Arc<Running>>,
    /// An execution's name, for `X-Amz-Durable-Execution-Name`: the same name is the same
    /// execution.
    by_name: HashMap<String, String>,
    /// A callback id's execution and operation.
    callbacks: HashMap<String, (Arc<Running>, String)>,
}

/// An execution, and how its driver and callers learn of changes.
pub(crate) struct Running {
    execution: Mutex<Execution>,
    /// The execution whose chained invoke this one is, and that operation's id.
    parent: Option<(Arc<Running>, String)>,
    /// Something changed between invocations (a callback completed, a heartbeat, a stop).
    changed: Notify,
    /// `true` once the execution has ended.
    ended: watch::Sender<bool>,
}

impl Running {
    fn lock(&self) -> MutexGuard<'_, Execution> {
        self.execution
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Service {
    pub(crate) fn new(options: DurableOptions) -> Self {
        Service {
            options,
            clock: Clock::new(options.skip_time),
            executions: Mutex::default(),
        }
    }

    fn executions(&self) -> MutexGuard<'_, Executions> {
        self.executions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn find(&self, arn: &str) -> Option<Arc<Running>> {
        self.executions().by_arn.get(arn).cloned()
    }
}

/// What an `Invoke` of a durable function started.
pub(crate) struct Started {
    pub(crate) arn: String,
    running: Arc<Running>,
}

impl Started {
    /// Waits until the execution ends or `limit` passes: its outcome, if it ended.
    pub(crate) async fn outcome(&self, limit: Duration) -> Option<Result<Bytes, Bytes>> {
        let mut ended = self.running.ended.subscribe();
        let _ = tokio::time::timeout(limit, ended.wait_for(|ended| *ended)).await;
        let execution = self.running.lock();
        match execution.status {
            execution::Status::Running => None,
            execution::Status::Succeeded => Some(Ok(Bytes::from(
                execution.result.clone().unwrap_or_default(),
            ))),
            _ => Some(Err(Bytes::from(driver::lambda_error(
                execution.error.as_ref(),
            )))),
        }
    }
}

/// What starts an execution: the `Invoke`'s payload, name and tenant, or a chained invoke's,
/// whose execution names its `parent` and the operation waiting for it.
pub(crate) struct Start<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) name: Option<&'a str>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) parent: Option<(Arc<Running>, String)>,
}

/// Starts an execution of the function, or finds the one already started under the name.
pub(crate) fn start(
    service: &Arc<Service>,
    environment: &Arc<Environment>,
    Start {
        input,
        name,
        tenant_id,
        parent,
    }: Start<'_>,
) -> Started {
    let mut executions = service.executions();
    if let Some(running) = name
        .and_then(|name| executions.by_name.get(name))
        .and_then(|arn| executions.by_arn.get(arn))
    {
        let arn = running.lock().arn.clone();
        return Started {
            arn,
            running: Arc::clone(running),
        };
    }
    let id = lambda_handler_protocol::ids::request_id();
    let name = name.map_or_else(|| id.clone(), str::to_owned);
    let function = crate::environment::function_arn(&environment.options.function_name);
    let arn = format!("{function}:$LATEST/durable-execution/{name}/{id}");
    let input = String::from_utf8_lossy(input).into_owned();
    let mut execution = Execution::new(
        arn.clone(),
        name.clone(),
        input,
        service.options.execution_timeout,
        service.clock.now(),
    );
    execution.tenant_id = tenant_id;
    let running = Arc::new(Running {
        execution: Mutex::new(execution),
        parent,
        changed: Notify::new(),
        ended: watch::Sender::new(false),
    });
    executions.by_arn.insert(arn.clone(), Arc::clone(&running));
    executions.by_name.insert(name, arn.clone());
    drop(executions);
    tokio::spawn(driver::drive(
        Arc::clone(service),
        Arc::clone(environment),
        Arc::clone(&running),
    ));
    Started { arn, running }
}

/// Whether an `Invoke`'s payload is already a durable invocation's event: another service
/// (AWS's `dex-local-runner`) drives the execution and the emulator only runs the function.
pub(crate) fn is_durable_event(payload: &[u8]) -> bool {
    let Ok(serde_json::Value::Object(event)) = serde_json::from_slice(payload) else {
        return false;
    };
    ["DurableExecutionArn", "CheckpointToken"]
        .iter()
        .all(|key| event.get(*key).is_some_and(serde_json::Value::is_string))
}
