//! One durable execution as the service keeps it: its operations (the records
//! `GetDurableExecutionState` returns and each invocation's event carries), its history (the
//! events `GetDurableExecutionHistory` returns, appended as things happen), the checkpoint
//! token the running invocation holds, and the timers that complete waits, make retried steps
//! ready and time callbacks out.
//!
//! How each update changes an operation, and which event it records, is the service's
//! behaviour as AWS's `dex-local-runner` models it (`checkpoint/processors/*.py`,
//! `execution.py`, `executor.py`'s history) and the API model names it (botocore's
//! `Operation`, `OperationUpdate`, `Event` shapes). Records are kept as the JSON they travel
//! as: the service stores what the SDK sent and returns it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value, json};

use lambda_handler_protocol::durable::{MAX_CALLBACK_TIMEOUT_SECONDS, MAX_WAIT_SECONDS};

use super::clock::timestamp;

/// An operation or event, as it travels.
pub(crate) type Record = Map<String, Value>;

/// How a callback or chained invoke completed: its result (a JSON text, if any), or its error.
pub(crate) type Completion = Result<Option<String>, Value>;

/// An execution's status (`ExecutionStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Stopped,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Stopped => "STOPPED",
        }
    }
}

/// What an execution waits for between invocations, each by operation id.
#[derive(Default)]
pub(crate) struct Timers {
    /// A wait's scheduled end.
    pub(crate) waits: HashMap<String, SystemTime>,
    /// A retried step's next attempt.
    pub(crate) retries: HashMap<String, SystemTime>,
    /// A callback's deadlines.
    pub(crate) callbacks: HashMap<String, CallbackDeadlines>,
}

/// When a callback times out: `TimeoutSeconds` after it started, and `HeartbeatTimeoutSeconds`
/// after its last heartbeat (or its start).
#[derive(Clone, Copy)]
pub(crate) struct CallbackDeadlines {
    pub(crate) timeout: Option<SystemTime>,
    pub(crate) heartbeat: Option<(Duration, SystemTime)>,
}

impl CallbackDeadlines {
    fn earliest(&self) -> Option<SystemTime> {
        match (self.timeout, self.heartbeat.map(|(_, due)| due)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Why an operation's timer fired.
pub(crate) enum Fired {
    WaitEnded(String),
    RetryReady(String),
    CallbackTimedOut(String, &'static str),
}

pub(crate) struct Execution {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) input: String,
    /// The tenant its invocations run for (`X-Amz-Tenant-Id`, a chained invoke's `TenantId`).
    pub(crate) tenant_id: Option<String>,
    pub(crate) started: SystemTime,
    pub(crate) ended: Option<SystemTime>,
    pub(crate) status: Status,
    pub(crate) result: Option<String>,
    pub(crate) error: Option<Value>,
    /// `DurableConfig.ExecutionTimeout`.
    pub(crate) timeout: Duration,
    operations: Vec<Record>,
    index: HashMap<String, usize>,
    /// The change counter when each operation last changed, by index.
    touched: Vec<u64>,
    /// Counts changes to operations.
    changes: u64,
    /// The change counter when the running invocation last saw the operations (its event, or a
    /// checkpoint's answer).
    seen: u64,
    /// The token the running invocation's next checkpoint must bring; `None` between
    /// invocations, so a late checkpoint of an ended invocation is refused.
    token: Option<String>,
    tokens_issued: u64,
    events: Vec<Record>,
    pub(crate) timers: Timers,
    /// A result or error the function checkpointed on the execution itself (a result too
    /// large for the invocation's answer), used when the answer carries none.
    checkpointed: Option<Outcome>,
    /// Failed invocations in a row (crashes, timeouts, invalid answers).
    pub(crate) failed_invocations: u32,
    /// Chained invokes whose target ended while an invocation ran: they complete once it
    /// has ended (the result reaches the function by its next invocation, as the
    /// requirements' histories record it, never before the invocation that started it ends).
    finished_invokes: Vec<(String, &'static str, Completion)>,
}

/// How an execution ended, or a function said it should.
#[derive(Clone, Debug)]
pub(crate) enum Outcome {
    Succeeded(Option<String>),
    Failed(Option<Value>),
}

/// A refused update: `InvalidParameterValueException` with this message.
pub(crate) struct Invalid(pub(crate) String);

/// What a checkpoint asks of the service beyond the execution: callbacks to index by id,
/// functions to invoke.
#[derive(Default)]
pub(crate) struct Effects {
    /// A new callback's id, and its operation.
    pub(crate) callbacks: Vec<(String, String)>,
    pub(crate) invokes: Vec<ChainedInvoke>,
}

/// A chained invoke to start: the operation waiting for it, the function and its input.
pub(crate) struct ChainedInvoke {
    pub(crate) operation: String,
    pub(crate) function: String,
    pub(crate) payload: Option<String>,
    /// `ChainedInvokeOptions.TenantId`: the tenant the target runs for.
    pub(crate) tenant_id: Option<String>,
}

impl Execution {
    pub(crate) fn new(
        arn: String,
        name: String,
        input: String,
        timeout: Duration,
        now: SystemTime,
    ) -> Self {
        let mut execution = Execution {
            arn,
            name: name.clone(),
            input: input.clone(),
            tenant_id: None,
            started: now,
            ended: None,
            status: Status::Running,
            result: None,
            error: None,
            timeout,
            operations: Vec::new(),
            index: HashMap::new(),
            touched: Vec::new(),
            changes: 0,
            seen: 0,
            token: None,
            tokens_issued: 0,
            events: Vec::new(),
            timers: Timers::default(),
            checkpointed: None,
            failed_invocations: 0,
            finished_invokes: Vec::new(),
        };
        // The execution's own operation comes first: the SDK reads the input from it.
        let mut operation = Record::new();
        operation.insert(
            "Id".into(),
            json!(lambda_handler_protocol::ids::request_id()),
        );
        operation.insert("Name".into(), json!(name));
        operation.insert("Type".into(), json!("EXECUTION"));
        operation.insert("Status".into(), json!("STARTED"));
        operation.insert("StartTimestamp".into(), timestamp(now));
        operation.insert("ExecutionDetails".into(), json!({ "InputPayload": input }));
        let timeout_seconds = timeout.as_secs();
        let details = json!({ "Input": { "Payload": input }, "ExecutionTimeout": timeout_seconds });
        execution.event("ExecutionStarted", Some(&operation), now, details);
        execution.store(operation);
        execution
    }

    pub(crate) fn is_running(&self) -> bool {
        self.status == Status::Running
    }

    /// The event of a new invocation: the execution, a fresh checkpoint token, and every
    /// operation (`InitialExecutionState`; the whole history fits: the emulator keeps no
    /// execution larger than an invocation's payload).
    pub(crate) fn invocation_event(&mut self) -> Value {
        self.seen = self.changes;
        json!({
            "DurableExecutionArn": self.arn,
            "CheckpointToken": self.issue_token(),
            "InitialExecutionState": { "Operations": self.operations },
        })
    }

    /// Whether the invocation that last ran has not seen a change (a wait that ended, a
    /// callback completed): the service invokes the function again for it.
    pub(crate) fn has_unseen_changes(&self) -> bool {
        self.changes > self.seen
    }

    /// Whether something will change without the function: a wait, a retried step, a callback.
    pub(crate) fn has_pending_operations(&self) -> bool {
        !self.timers.waits.is_empty()
            || !self.timers.retries.is_empty()
            || self.operations.iter().any(|operation| {
                matches!(
                    operation["Type"].as_str(),
                    Some("CALLBACK" | "CHAINED_INVOKE")
                ) && operation["Status"] == "STARTED"
            })
    }

    /// Ends the running invocation's hold on the checkpoint token.
    pub(crate) fn end_invocation(&mut self) {
        self.token = None;
    }

    fn issue_token(&mut self) -> String {
        self.tokens_issued += 1;
        let token = format!(
            "{}.{}",
            self.tokens_issued,
            lambda_handler_protocol::ids::request_id()
        );
        self.token = Some(token.clone());
        token
    }

    /// `CheckpointDurableExecution`: applies `updates` in order with the running invocation's
    /// `token`, and answers the next token and the operations that changed since the
    /// invocation last saw them.
    pub(crate) fn checkpoint(
        &mut self,
        token: &str,
        updates: &[Value],
        now: SystemTime,
        effects: &mut Effects,
    ) -> Result<Value, Invalid> {
        if !self.is_running() {
            return Err(Invalid(format!(
                "the execution has ended ({})",
                self.status.as_str()
            )));
        }
        if self.token.as_deref() != Some(token) {
            return Err(Invalid("Invalid checkpoint token".into()));
        }
        for update in updates {
            self.apply(update, now, effects)?;
        }
        let changed: Vec<Record> = self
            .operations
            .iter()
            .zip(&self.touched)
            .filter(|(_, touched)| **touched > self.seen)
            .map(|(operation, _)| operation.clone())
            .collect();
        let answer = json!({
            "CheckpointToken": self.issue_token(),
            "NewExecutionState": { "Operations": changed },
        });
        self.seen = self.changes;
        Ok(answer)
    }

    /// `GetDurableExecutionState`: every operation, for the running invocation only.
    pub(crate) fn state(&self, token: &str) -> Result<Value, Invalid> {
        if self.token.as_deref() != Some(token) {
            return Err(Invalid("Invalid checkpoint token".into()));
        }
        Ok(json!({ "Operations": self.operations }))
    }

    /// One update, as the service applies it.
    fn apply(
        &mut self,
        update: &Value,
        now: SystemTime,
        effects: &mut Effects,
    ) -> Result<(), Invalid> {
        let text = |key: &str| update.get(key).and_then(Value::as_str);
        let (Some(id), Some(kind), Some(action)) = (text("Id"), text("Type"), text("Action"))
        else {
            return Err(Invalid("an update needs `Id`, `Type` and `Action`".into()));
        };
        let payload = text("Payload").map(str::to_owned);
        let error = update.get("Error").cloned();
        // An option in whole seconds, when given within the API model's range.
        let option = |options: &str, key: &str| -> Result<Option<u64>, Invalid> {
            let Some(value) = update.get(options).and_then(|o| o.get(key)) else {
                return Ok(None);
            };
            let (least, most): (u32, u32) = match key {
                "TimeoutSeconds" | "HeartbeatTimeoutSeconds" => (0, MAX_CALLBACK_TIMEOUT_SECONDS),
                _ => (1, MAX_WAIT_SECONDS),
            };
            match value.as_u64() {
                Some(n) if (u64::from(least)..=u64::from(most)).contains(&n) => Ok(Some(n)),
                _ => Err(Invalid(format!(
                    "`{options}.{key}` is a whole number of seconds from {least} to {most}"
                ))),
            }
        };
        match (kind, action) {
            ("EXECUTION", "SUCCEED") => self.checkpointed = Some(Outcome::Succeeded(payload)),
            ("EXECUTION", "FAIL") => self.checkpointed = Some(Outcome::Failed(error)),
            ("STEP", "START") => {
                let operation = self.operation(update, now);
                operation.insert("Status".into(), json!("STARTED"));
                let operation = operation.clone();
                self.timers.retries.remove(id);
                self.event("StepStarted", Some(&operation), now, json!({}));
            }
            ("STEP", "RETRY" | "SUCCEED" | "FAIL") => {
                let delay = option("StepOptions", "NextAttemptDelaySeconds")?.unwrap_or(0);
                let operation = self.operation(update, now);
                let details = details_of(operation, "StepDetails");
                let attempt = details.get("Attempt").and_then(Value::as_u64).unwrap_or(0) + 1;
                details.insert("Attempt".into(), json!(attempt));
                set_or_remove(details, "Result", payload.clone().map(Value::from));
                set_or_remove(details, "Error", error.clone());
                let status = match action {
                    "RETRY" => {
                        let next = now + Duration::from_secs(delay);
                        details.insert("NextAttemptTimestamp".into(), timestamp(next));
                        "PENDING"
                    }
                    "SUCCEED" => "SUCCEEDED",
                    _ => "FAILED",
                };
                if action != "RETRY" {
                    details.remove("NextAttemptTimestamp");
                    operation.insert("EndTimestamp".into(), timestamp(now));
                }
                operation.insert("Status".into(), json!(status));
                let operation = operation.clone();
                let mut retry = json!({ "CurrentAttempt": attempt });
                if action == "RETRY" {
                    retry["NextAttemptDelaySeconds"] = json!(delay);
                    self.timers
                        .retries
                        .insert(id.to_owned(), now + Duration::from_secs(delay));
                }
                // A retry with an error is a failed attempt; one without, a poll that
                // succeeded (`wait_for_condition`): dex's `getRetryHistoryEventDetail`.
                let event = match (&error, action) {
                    (Some(error), "RETRY" | "FAIL") => (
                        "StepFailed",
                        json!({ "Error": { "Payload": error }, "RetryDetails": retry }),
                    ),
                    (None, "FAIL") => ("StepFailed", json!({ "Error": {}, "RetryDetails": retry })),
                    _ => (
                        "StepSucceeded",
                        json!({ "Result": { "Payload": payload }, "RetryDetails": retry }),
                    ),
                };
                self.event(event.0, Some(&operation), now, event.1);
            }
            ("WAIT", "START") => {
                let Some(seconds) = option("WaitOptions", "WaitSeconds")? else {
                    return Err(Invalid("a wait needs `WaitOptions.WaitSeconds`".into()));
                };
                let end = now + Duration::from_secs(seconds);
                let operation = self.operation(update, now);
                operation.insert("Status".into(), json!("STARTED"));
                operation.insert(
                    "WaitDetails".into(),
                    json!({ "ScheduledEndTimestamp": timestamp(end) }),
                );
                let operation = operation.clone();
                self.timers.waits.insert(id.to_owned(), end);
                let details =
                    json!({ "Duration": seconds, "ScheduledEndTimestamp": timestamp(end) });
                self.event("WaitStarted", Some(&operation), now, details);
            }
            ("WAIT", "CANCEL") => {
                let operation = self.operation(update, now);
                operation.insert("Status".into(), json!("CANCELLED"));
                operation.insert("EndTimestamp".into(), timestamp(now));
                let operation = operation.clone();
                self.timers.waits.remove(id);
                let details = match error {
                    Some(error) => json!({ "Error": { "Payload": error } }),
                    None => json!({}),
                };
                self.event("WaitCancelled", Some(&operation), now, details);
            }
            ("CALLBACK", "START") => {
                let callback_id = lambda_handler_protocol::ids::request_id();
                let timeout = option("CallbackOptions", "TimeoutSeconds")?.unwrap_or(0);
                let heartbeat = option("CallbackOptions", "HeartbeatTimeoutSeconds")?.unwrap_or(0);
                let operation = self.operation(update, now);
                operation.insert("Status".into(), json!("STARTED"));
                operation.insert(
                    "CallbackDetails".into(),
                    json!({ "CallbackId": callback_id }),
                );
                let operation = operation.clone();
                let after = |seconds: u64| now + Duration::from_secs(seconds);
                self.timers.callbacks.insert(
                    id.to_owned(),
                    CallbackDeadlines {
                        timeout: (timeout > 0).then(|| after(timeout)),
                        heartbeat: (heartbeat > 0)
                            .then(|| (Duration::from_secs(heartbeat), after(heartbeat))),
                    },
                );
                let mut details = json!({ "CallbackId": callback_id });
                if timeout > 0 {
                    details["Timeout"] = json!(timeout);
                }
                if heartbeat > 0 {
                    details["HeartbeatTimeout"] = json!(heartbeat);
                }
                effects.callbacks.push((callback_id, id.to_owned()));
                self.event("CallbackStarted", Some(&operation), now, details);
            }
            ("CONTEXT", "START") => {
                let operation = self.operation(update, now);
                operation.insert("Status".into(), json!("STARTED"));
                let operation = operation.clone();
                self.event("ContextStarted", Some(&operation), now, json!({}));
            }
            ("CONTEXT", "SUCCEED" | "FAIL") => {
                let replay_children = option_bool(update, "ContextOptions", "ReplayChildren");
                let operation = self.operation(update, now);
                let details = details_of(operation, "ContextDetails");
                set_or_remove(details, "Result", payload.clone().map(Value::from));
                set_or_remove(details, "Error", error.clone());
                if replay_children {
                    details.insert("ReplayChildren".into(), json!(true));
                }
                let succeeded = action == "SUCCEED";
                operation.insert(
                    "Status".into(),
                    json!(if succeeded { "SUCCEEDED" } else { "FAILED" }),
                );
                operation.insert("EndTimestamp".into(), timestamp(now));
                let operation = operation.clone();
                if succeeded {
                    let details = json!({ "Result": { "Payload": payload } });
                    self.event("ContextSucceeded", Some(&operation), now, details);
                } else {
                    let details = json!({ "Error": { "Payload": error } });
                    self.event("ContextFailed", Some(&operation), now, details);
                }
            }
            ("CHAINED_INVOKE", "START") => {
                let invoke_option = |key: &str| {
                    update
                        .get("ChainedInvokeOptions")
                        .and_then(|o| o.get(key))
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                };
                let function = invoke_option("FunctionName").unwrap_or_default();
                let tenant_id = invoke_option("TenantId");
                let operation = self.operation(update, now);
                operation.insert("Status".into(), json!("STARTED"));
                let operation = operation.clone();
                let mut details = json!({ "FunctionName": function });
                if let Some(payload) = &payload {
                    details["Input"] = json!({ "Payload": payload });
                }
                if let Some(tenant_id) = &tenant_id {
                    details["TenantId"] = json!(tenant_id);
                }
                self.event("ChainedInvokeStarted", Some(&operation), now, details);
                effects.invokes.push(ChainedInvoke {
                    operation: id.to_owned(),
                    function,
                    payload,
                    tenant_id,
                });
            }
            _ => {
                return Err(Invalid(format!(
                    "`{action}` is not an action of a {kind} operation"
                )));
            }
        }
        Ok(())
    }

    /// The operation an update names, created with its identity on its first update, and
    /// marked changed.
    fn operation(&mut self, update: &Value, now: SystemTime) -> &mut Record {
        let id = update["Id"].as_str().unwrap_or_default().to_owned();
        let index = match self.index.get(&id) {
            Some(&index) => index,
            None => {
                let mut operation = Record::new();
                operation.insert("Id".into(), json!(id));
                for key in ["ParentId", "Name", "Type", "SubType"] {
                    if let Some(value) = update.get(key).filter(|v| !v.is_null()) {
                        operation.insert(key.into(), value.clone());
                    }
                }
                operation.insert("StartTimestamp".into(), timestamp(now));
                self.store(operation)
            }
        };
        self.changes += 1;
        self.touched[index] = self.changes;
        &mut self.operations[index]
    }

    fn store(&mut self, operation: Record) -> usize {
        let index = self.operations.len();
        let id = operation["Id"].as_str().unwrap_or_default().to_owned();
        self.index.insert(id, index);
        self.operations.push(operation);
        self.changes += 1;
        self.touched.push(self.changes);
        index
    }

    /// The earliest moment a timer fires, and whether it is a callback's (those run on the
    /// wall clock even when waits are skipped: an outside system answers them).
    pub(crate) fn next_timer(&self) -> Option<(SystemTime, bool)> {
        let service = self
            .timers
            .waits
            .values()
            .chain(self.timers.retries.values())
            .min()
            .map(|t| (*t, false));
        let callback = self
            .timers
            .callbacks
            .values()
            .filter_map(CallbackDeadlines::earliest)
            .min()
            .map(|t| (t, true));
        match (service, callback) {
            (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// Fires every timer due at `now`: a wait succeeds, a retried step becomes ready, a
    /// callback times out.
    pub(crate) fn fire_timers(&mut self, now: SystemTime) -> Vec<Fired> {
        let due = |map: &HashMap<String, SystemTime>| -> Vec<String> {
            let mut ids: Vec<(&String, &SystemTime)> =
                map.iter().filter(|(_, at)| **at <= now).collect();
            ids.sort_by_key(|(_, at)| **at);
            ids.into_iter().map(|(id, _)| id.clone()).collect()
        };
        let mut fired = Vec::new();
        for id in due(&self.timers.waits) {
            self.timers.waits.remove(&id);
            fired.push(Fired::WaitEnded(id));
        }
        for id in due(&self.timers.retries) {
            self.timers.retries.remove(&id);
            fired.push(Fired::RetryReady(id));
        }
        let callbacks: Vec<(String, &'static str)> = self
            .timers
            .callbacks
            .iter()
            .filter_map(|(id, deadlines)| {
                if deadlines.timeout.is_some_and(|t| t <= now) {
                    Some((
                        id.clone(),
                        lambda_handler_protocol::durable::CALLBACK_TIMEOUT,
                    ))
                } else if deadlines.heartbeat.is_some_and(|(_, t)| t <= now) {
                    Some((
                        id.clone(),
                        lambda_handler_protocol::durable::CALLBACK_HEARTBEAT_TIMEOUT,
                    ))
                } else {
                    None
                }
            })
            .collect();
        for (id, kind) in callbacks {
            fired.push(Fired::CallbackTimedOut(id, kind));
        }
        for fired in &fired {
            match fired {
                Fired::WaitEnded(id) => self.end_wait(id, now),
                Fired::RetryReady(id) => self.ready_retry(id),
                Fired::CallbackTimedOut(id, kind) => {
                    let message = if *kind == lambda_handler_protocol::durable::CALLBACK_TIMEOUT {
                        "Callback timed out"
                    } else {
                        "Callback timed out on heartbeat"
                    };
                    let error = json!({ "ErrorType": kind, "ErrorMessage": message });
                    self.complete_callback(id, "TIMED_OUT", Err(error), now);
                }
            }
        }
        fired
    }

    fn end_wait(&mut self, id: &str, now: SystemTime) {
        let Some(operation) = self.touch(id) else {
            return;
        };
        operation.insert("Status".into(), json!("SUCCEEDED"));
        operation.insert("EndTimestamp".into(), timestamp(now));
        let operation = operation.clone();
        // The wait's own length (its scheduled end from its start), however late it fired.
        let duration = scheduled_seconds(&operation);
        self.event(
            "WaitSucceeded",
            Some(&operation),
            now,
            json!({ "Duration": duration }),
        );
    }

    fn ready_retry(&mut self, id: &str) {
        if let Some(operation) = self.touch(id) {
            operation.insert("Status".into(), json!("READY"));
            if let Some(Value::Object(details)) = operation.get_mut("StepDetails") {
                details.remove("NextAttemptTimestamp");
            }
        }
    }

    /// Completes the callback operation `id`: `SUCCEEDED` with a result, `FAILED` or
    /// `TIMED_OUT` with an error. `false` when it is not waiting.
    pub(crate) fn complete_callback(
        &mut self,
        id: &str,
        status: &str,
        outcome: Completion,
        now: SystemTime,
    ) -> bool {
        if !self.is_running() || self.timers.callbacks.remove(id).is_none() {
            return false;
        }
        let failed = if status == "TIMED_OUT" {
            "CallbackTimedOut"
        } else {
            "CallbackFailed"
        };
        let events = ["CallbackSucceeded", failed];
        self.end_operation(id, status, outcome, now, "CallbackDetails", events)
    }

    /// The chained invoke `id` runs as the execution `child` (of `ExecutedVersion`
    /// `$LATEST`), as its `ChainedInvokeStarted` records.
    pub(crate) fn chained_invoke_started(&mut self, id: &str, child: Option<&str>) {
        let event = self
            .events
            .iter_mut()
            .rev()
            .find(|e| e["EventType"] == "ChainedInvokeStarted" && e["Id"] == id);
        if let Some(Value::Object(details)) =
            event.and_then(|e| e.get_mut("ChainedInvokeStartedDetails"))
        {
            details.insert("ExecutedVersion".into(), json!("$LATEST"));
            if let Some(child) = child {
                details.insert("DurableExecutionArn".into(), json!(child));
            }
        }
    }

    /// The chained invoke `id`'s target ended: `SUCCEEDED` with a result, or `FAILED`,
    /// `TIMED_OUT` or `STOPPED` with an error. It completes now between invocations, or once
    /// the running invocation has ended. `false` when it is not waiting.
    pub(crate) fn chained_invoke_ended(
        &mut self,
        id: &str,
        status: &'static str,
        outcome: Completion,
        now: SystemTime,
    ) -> bool {
        if self.token.is_some() {
            self.finished_invokes.push((id.to_owned(), status, outcome));
            return true;
        }
        self.complete_chained_invoke(id, status, outcome, now)
    }

    /// Completes the chained invokes whose targets ended while an invocation ran.
    pub(crate) fn complete_finished_invokes(&mut self, now: SystemTime) {
        for (id, status, outcome) in std::mem::take(&mut self.finished_invokes) {
            self.complete_chained_invoke(&id, status, outcome, now);
        }
    }

    fn complete_chained_invoke(
        &mut self,
        id: &str,
        status: &str,
        outcome: Completion,
        now: SystemTime,
    ) -> bool {
        let waiting = self
            .index
            .get(id)
            .is_some_and(|&i| self.operations[i]["Status"] == "STARTED");
        if !self.is_running() || !waiting {
            return false;
        }
        let failed = match status {
            "TIMED_OUT" => "ChainedInvokeTimedOut",
            "STOPPED" => "ChainedInvokeStopped",
            _ => "ChainedInvokeFailed",
        };
        let events = ["ChainedInvokeSucceeded", failed];
        self.end_operation(id, status, outcome, now, "ChainedInvokeDetails", events)
    }

    /// Ends the operation `id` (a callback, a chained invoke) with `status`: its details
    /// (`details_key`) keep the result or error, and its event (`events`: on success, on
    /// failure) carries it.
    fn end_operation(
        &mut self,
        id: &str,
        status: &str,
        outcome: Completion,
        now: SystemTime,
        details_key: &str,
        [succeeded, failed]: [&str; 2],
    ) -> bool {
        let Some(operation) = self.touch(id) else {
            return false;
        };
        operation.insert("Status".into(), json!(status));
        operation.insert("EndTimestamp".into(), timestamp(now));
        let details = details_of(operation, details_key);
        let (kind, event) = match outcome {
            Ok(result) => {
                set_or_remove(details, "Result", result.clone().map(Value::from));
                (succeeded, json!({ "Result": { "Payload": result } }))
            }
            Err(error) => {
                details.insert("Error".into(), error.clone());
                (failed, json!({ "Error": { "Payload": error } }))
            }
        };
        let operation = operation.clone();
        self.event(kind, Some(&operation), now, event);
        true
    }

    /// A heartbeat for the callback `id`: its heartbeat deadline starts again. `false` when
    /// it is not waiting.
    pub(crate) fn heartbeat(&mut self, id: &str, now: SystemTime) -> bool {
        match self.timers.callbacks.get_mut(id) {
            Some(deadlines) => {
                if let Some((every, due)) = &mut deadlines.heartbeat {
                    *due = now + *every;
                }
                true
            }
            None => false,
        }
    }

    fn touch(&mut self, id: &str) -> Option<&mut Record> {
        let index = *self.index.get(id)?;
        self.changes += 1;
        self.touched[index] = self.changes;
        Some(&mut self.operations[index])
    }

    /// `InvocationCompleted`: when an invocation ran, its request id, and the error that
    /// ended it when it failed.
    pub(crate) fn invocation_completed(
        &mut self,
        started: SystemTime,
        ended: SystemTime,
        request_id: &str,
        error: Option<Value>,
    ) {
        let mut details = json!({
            "StartTimestamp": timestamp(started),
            "EndTimestamp": timestamp(ended),
            "RequestId": request_id,
        });
        if let Some(error) = error {
            details["Error"] = json!({ "Payload": error });
        }
        self.event("InvocationCompleted", None, ended, details);
    }

    /// The function answered `SUCCEEDED` or `FAILED` (or the service decided): the execution
    /// ends. A result or error the function checkpointed on the execution stands in for one
    /// its answer lacks.
    pub(crate) fn end(&mut self, outcome: Outcome, now: SystemTime) {
        let outcome = match (outcome, self.checkpointed.take()) {
            (Outcome::Succeeded(None), Some(Outcome::Succeeded(result))) => {
                Outcome::Succeeded(result)
            }
            (Outcome::Failed(None), Some(Outcome::Failed(error))) => Outcome::Failed(error),
            (outcome, _) => outcome,
        };
        match outcome {
            Outcome::Succeeded(result) => {
                self.finish(Status::Succeeded, now);
                self.result = result.clone();
                let details = json!({ "Result": { "Payload": result } });
                self.execution_event("ExecutionSucceeded", now, details);
            }
            Outcome::Failed(error) => {
                self.finish(Status::Failed, now);
                self.error = error.clone();
                let details = json!({ "Error": { "Payload": error } });
                self.execution_event("ExecutionFailed", now, details);
            }
        }
    }

    /// The execution ran past its timeout, or was stopped.
    pub(crate) fn halt(&mut self, status: Status, error: Value, now: SystemTime) {
        self.finish(status, now);
        self.error = Some(error.clone());
        let kind = if status == Status::TimedOut {
            "ExecutionTimedOut"
        } else {
            "ExecutionStopped"
        };
        self.execution_event(kind, now, json!({ "Error": { "Payload": error } }));
    }

    fn finish(&mut self, status: Status, now: SystemTime) {
        self.status = status;
        self.ended = Some(now);
        self.token = None;
        self.timers = Timers::default();
        if let Some(operation) = self.operations.first_mut() {
            operation.insert("Status".into(), json!(status.as_str()));
            operation.insert("EndTimestamp".into(), timestamp(now));
        }
    }

    fn execution_event(&mut self, kind: &str, now: SystemTime, details: Value) {
        let operation = self.operations.first().cloned();
        self.event(kind, operation.as_ref(), now, details);
    }

    /// Appends an event; ids count from 1 in the order things happened.
    fn event(&mut self, kind: &str, operation: Option<&Record>, at: SystemTime, details: Value) {
        let mut event = Record::new();
        event.insert("EventType".into(), json!(kind));
        if let Some(operation) = operation {
            // The execution's own events carry no subtype, and name it by its id only.
            if operation.get("Type").is_some_and(|t| t != "EXECUTION") {
                for key in ["SubType", "Name", "ParentId"] {
                    if let Some(value) = operation.get(key) {
                        event.insert(key.into(), value.clone());
                    }
                }
            }
            event.insert("Id".into(), operation["Id"].clone());
        }
        event.insert("EventId".into(), json!(self.events.len() + 1));
        event.insert("EventTimestamp".into(), timestamp(at));
        event.insert(format!("{kind}Details"), details);
        self.events.push(event);
    }

    /// The history, oldest first; payloads (inputs, results, errors) only when asked for, as
    /// the API's `IncludeExecutionData` says, marked `Truncated` otherwise.
    pub(crate) fn history(&self, include_data: bool) -> Vec<Value> {
        self.events
            .iter()
            .map(|event| {
                let mut event = event.clone();
                for (key, details) in event.iter_mut() {
                    if key.ends_with("Details") {
                        redact(details, include_data);
                    }
                }
                Value::Object(event)
            })
            .collect()
    }
}

/// An event's `Input`, `Result` and `Error` are `{Payload, Truncated}`.
fn redact(details: &mut Value, include_data: bool) {
    let Some(details) = details.as_object_mut() else {
        return;
    };
    for key in ["Input", "Result", "Error"] {
        if let Some(Value::Object(wrapper)) = details.get_mut(key) {
            if !include_data || wrapper.get("Payload").is_some_and(Value::is_null) {
                wrapper.remove("Payload");
            }
            wrapper.insert("Truncated".into(), json!(!include_data));
        }
    }
}

fn details_of<'a>(operation: &'a mut Record, key: &str) -> &'a mut Record {
    let details = operation
        .entry(key)
        .or_insert_with(|| Value::Object(Record::new()));
    if !details.is_object() {
        *details = Value::Object(Record::new());
    }
    details.as_object_mut().expect("an object")
}

fn set_or_remove(record: &mut Record, key: &str, value: Option<Value>) {
    match value {
        Some(value) => record.insert(key.into(), value),
        None => record.remove(key),
    };
}

fn option_bool(update: &Value, options: &str, key: &str) -> bool {
    update
        .get(options)
        .and_then(|o| o.get(key))
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

/// A wait's scheduled length in whole seconds, rounded.
fn scheduled_seconds(operation: &Record) -> u64 {
    let start = operation.get("StartTimestamp").and_then(Value::as_f64);
    let end = operation
        .get("WaitDetails")
        .and_then(|d| d.get("ScheduledEndTimestamp"))
        .and_then(Value::as_f64);
    (end.unwrap_or(0.0) - start.unwrap_or(0.0)).max(0.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started() -> (Execution, String, SystemTime) {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let mut execution = Execution::new(
            "arn".into(),
            "name".into(),
            "{}".into(),
            Duration::from_secs(60),
            now,
        );
        let event = execution.invocation_event();
        let token = event["CheckpointToken"].as_str().unwrap().to_owned();
        (execution, token, now)
    }

    fn checkpoint(
        execution: &mut Execution,
        token: &str,
        update: Value,
        now: SystemTime,
    ) -> String {
        let answer = execution
            .checkpoint(token, &[update], now, &mut Effects::default())
            .unwrap_or_else(|Invalid(message)| panic!("{message}"));
        answer["CheckpointToken"].as_str().unwrap().to_owned()
    }

    fn last_event(execution: &Execution, include_data: bool) -> Value {
        execution.history(include_data).last().unwrap().clone()
    }

    #[test]
    fn each_checkpoint_consumes_the_token_it_brings() {
        let (mut execution, token, now) = started();
        let stranger = execution.checkpoint("another", &[], now, &mut Effects::default());
        assert!(stranger.is_err());
        let next = checkpoint(
            &mut execution,
            &token,
            json!({ "Id": "s", "Type": "STEP", "Action": "START" }),
            now,
        );
        assert!(
            execution
                .checkpoint(&token, &[], now, &mut Effects::default())
                .is_err()
        );
        assert!(
            execution
                .checkpoint(&next, &[], now, &mut Effects::default())
                .is_ok()
        );
        execution.end_invocation();
        assert!(
            execution.state(&next).is_err(),
            "an ended invocation's token is refused"
        );
    }

    #[test]
    fn a_retried_step_records_the_attempt_and_is_ready_when_its_delay_is_over() {
        let (mut execution, token, now) = started();
        let token = checkpoint(
            &mut execution,
            &token,
            json!({ "Id": "s", "Type": "STEP", "SubType": "Step", "Action": "START" }),
            now,
        );
        let error = json!({ "ErrorType": "Flaky", "ErrorMessage": "try again" });
        checkpoint(
            &mut execution,
            &token,
            json!({ "Id": "s", "Type": "STEP", "Action": "RETRY", "Error": error,
                    "StepOptions": { "NextAttemptDelaySeconds": 5 } }),
            now,
        );
        let event = last_event(&execution, true);
        assert_eq!(event["EventType"], "StepFailed");
        assert_eq!(event["SubType"], "Step");
        assert_eq!(
            event["StepFailedDetails"],
            json!({ "Error": { "Payload": error, "Truncated": false },
                    "RetryDetails": { "CurrentAttempt": 1, "NextAttemptDelaySeconds": 5 } })
        );
        execution.end_invocation();
        let seen = execution.invocation_event();
        let step = &seen["InitialExecutionState"]["Operations"][1];
        assert_eq!(step["Status"], "PENDING");
        assert_eq!(step["StepDetails"]["Attempt"], 1);
        assert!(
            execution
                .fire_timers(now + Duration::from_secs(4))
                .is_empty()
        );
        assert!(!execution.has_unseen_changes());
        let fired = execution.fire_timers(now + Duration::from_secs(5));
        assert!(matches!(fired.as_slice(), [Fired::RetryReady(id)] if id == "s"));
        assert!(execution.has_unseen_changes());
        let seen = execution.invocation_event();
        assert_eq!(
            seen["InitialExecutionState"]["Operations"][1]["Status"],
            "READY"
        );
    }

    #[test]
    fn a_callback_times_out_on_its_heartbeat_unless_one_comes() {
        let (mut execution, token, now) = started();
        let mut effects = Effects::default();
        execution
            .checkpoint(
                &token,
                &[json!({ "Id": "c", "Type": "CALLBACK", "Action": "START",
                          "CallbackOptions": { "HeartbeatTimeoutSeconds": 10 } })],
                now,
                &mut effects,
            )
            .ok()
            .unwrap();
        assert_eq!(
            effects.callbacks.len(),
            1,
            "the callback id is handed to the service"
        );
        let at = |s| now + Duration::from_secs(s);
        assert!(execution.heartbeat("c", at(8)));
        assert!(
            execution.fire_timers(at(12)).is_empty(),
            "the heartbeat moved it"
        );
        let fired = execution.fire_timers(at(18));
        assert!(
            matches!(fired.as_slice(), [Fired::CallbackTimedOut(id, kind)]
            if id == "c" && *kind == lambda_handler_protocol::durable::CALLBACK_HEARTBEAT_TIMEOUT)
        );
        let event = last_event(&execution, true);
        assert_eq!(event["EventType"], "CallbackTimedOut");
        assert_eq!(
            event["CallbackTimedOutDetails"]["Error"]["Payload"]["ErrorType"],
            "Callback.Heartbeat"
        );
        assert!(
            !execution.complete_callback("c", "SUCCEEDED", Ok(None), at(19)),
            "a callback that timed out cannot be completed"
        );
    }

    #[test]
    fn a_wait_ends_at_its_scheduled_end_and_records_its_own_length() {
        let (mut execution, token, now) = started();
        checkpoint(
            &mut execution,
            &token,
            json!({ "Id": "w", "Type": "WAIT", "Action": "START", "WaitOptions": { "WaitSeconds": 3 } }),
            now,
        );
        assert!(
            execution
                .fire_timers(now + Duration::from_secs(2))
                .is_empty()
        );
        // Fired late (the invocation ran long): the wait is still the 3 s it asked for.
        execution.fire_timers(now + Duration::from_secs(10));
        let event = last_event(&execution, false);
        assert_eq!(event["EventType"], "WaitSucceeded");
        assert_eq!(event["WaitSucceededDetails"], json!({ "Duration": 3 }));
    }

    #[test]
    fn history_leaves_payloads_out_unless_asked_for() {
        let (mut execution, token, now) = started();
        checkpoint(
            &mut execution,
            &token,
            json!({ "Id": "s", "Type": "STEP", "Action": "SUCCEED", "Payload": "\"secret\"" }),
            now,
        );
        let without = last_event(&execution, false);
        assert_eq!(
            without["StepSucceededDetails"]["Result"],
            json!({ "Truncated": true })
        );
        let with = last_event(&execution, true);
        assert_eq!(
            with["StepSucceededDetails"]["Result"],
            json!({ "Payload": "\"secret\"", "Truncated": false })
        );
        let started = &execution.history(false)[0];
        assert_eq!(
            started["ExecutionStartedDetails"]["Input"],
            json!({ "Truncated": true })
        );
    }

    #[test]
    fn times_outside_the_apis_range_are_refused_not_scheduled() {
        let (mut execution, token, now) = started();
        for update in [
            json!({ "Id": "w", "Type": "WAIT", "Action": "START",
                    "WaitOptions": { "WaitSeconds": u64::MAX } }),
            json!({ "Id": "w", "Type": "WAIT", "Action": "START" }),
            json!({ "Id": "s", "Type": "STEP", "Action": "RETRY",
                    "StepOptions": { "NextAttemptDelaySeconds": 31_622_401 } }),
            json!({ "Id": "c", "Type": "CALLBACK", "Action": "START",
                    "CallbackOptions": { "TimeoutSeconds": -1 } }),
        ] {
            let refused = execution.checkpoint(&token, &[update], now, &mut Effects::default());
            assert!(refused.is_err());
        }
        assert!(execution.next_timer().is_none(), "nothing was scheduled");
    }

    #[test]
    fn an_action_a_type_does_not_have_is_refused() {
        let (mut execution, token, now) = started();
        let refused = execution.checkpoint(
            &token,
            &[json!({ "Id": "w", "Type": "WAIT", "Action": "SUCCEED" })],
            now,
            &mut Effects::default(),
        );
        assert!(matches!(refused, Err(Invalid(message)) if message.contains("SUCCEED")));
    }
}
