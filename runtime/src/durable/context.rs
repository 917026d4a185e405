//! `DurableContext`: the operations a durable handler calls. Each operation has an id
//! derived from its position (the context's id and a counter, hashed to the API's 64
//! characters, as AWS's SDKs do), finds itself in the history on replay and returns what
//! was recorded, or runs and records.

use std::fmt;
use std::fmt::Write as _;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::error::DurableError;
use super::execution::{Execution, Halt};
use super::model::{
    Action, Details, ErrorObject, Operation, OperationStatus, OperationType, OperationUpdate,
    UpdateOptions,
};
use super::retry::{RetryStrategy, StepConfig, StepSemantics};

/// The largest result a checkpoint records for a child context; a larger one is rebuilt on
/// replay by running the context's children again (`ReplayChildren`), as AWS's SDKs do.
const CHECKPOINT_PAYLOAD_LIMIT: usize = lambda_handler_protocol::limits::MAX_CHECKPOINT_PAYLOAD;

/// A value a durable operation records and replays: it must survive a JSON round trip. Every
/// type that implements `serde::Serialize` and `serde::de::DeserializeOwned` is one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded by a durable operation",
    label = "a step's result, a callback's value and a map's items must implement `serde::Serialize` and `serde::de::DeserializeOwned`",
    note = "the history stores each result as JSON and replays it: derive both with `#[derive(serde::Serialize, serde::Deserialize)]`, or use `serde_json::Value`"
)]
pub trait DurableValue: Sized {
    /// The value as the history records it.
    #[doc(hidden)]
    fn __durable_encode(&self) -> Result<String, serde_json::Error>;
    /// The value from the history.
    #[doc(hidden)]
    fn __durable_decode(json: &str) -> Result<Self, serde_json::Error>;
}

// No supertraits and this impl hidden from diagnostics: a type that is neither is reported
// as not a `DurableValue`, once, with the note above, not as serde's traits with their lists.
#[diagnostic::do_not_recommend]
impl<T: Serialize + DeserializeOwned> DurableValue for T {
    fn __durable_encode(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    fn __durable_decode(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// The handle a durable handler works through: steps, waits, callbacks, child contexts,
/// chained invokes, `map` and `parallel`.
///
/// Operations are identified by the order the handler calls them in: on every replay the
/// handler must call the same operations, with the same names, in the same order (code
/// outside operations runs again on each invocation; keep it deterministic, and put
/// anything with side effects or randomness in a step). A replay that does not match the
/// history fails the execution with `NonDeterministicExecutionError`.
#[derive(Clone)]
pub struct DurableContext {
    pub(crate) execution: Arc<Execution>,
    /// The operation id of the context this one runs in (`None`: the execution itself).
    parent_id: Option<String>,
    /// The next operation's position in this context.
    counter: Arc<AtomicU32>,
}

impl fmt::Debug for DurableContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DurableContext")
            .field("execution", &self.execution.arn)
            .field("parent_id", &self.parent_id)
            .finish()
    }
}

/// What a step's code is told.
#[derive(Clone, Debug)]
pub struct StepContext {
    attempt: u32,
}

impl StepContext {
    pub(crate) fn new(attempt: u32) -> Self {
        StepContext { attempt }
    }

    /// Which attempt this is, from 1.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

/// A callback an outside system completes (`SendDurableExecutionCallbackSuccess` with its
/// [`id`](Self::id)); [`result`](Self::result) waits for it.
#[derive(Debug)]
pub struct Callback<T> {
    id: String,
    operation_id: String,
    context: DurableContext,
    value: PhantomData<fn() -> T>,
}

/// How [`DurableContext::invoke_with`] invokes its function.
#[derive(Clone, Debug, Default)]
pub struct InvokeConfig {
    tenant_id: Option<String>,
}

impl InvokeConfig {
    /// The invoke as [`DurableContext::invoke`] makes it.
    pub fn new() -> Self {
        InvokeConfig::default()
    }

    /// The tenant the function runs for, for a function with tenant isolation (Lambda's
    /// `TenantId`; the target's `Context::tenant_id`).
    pub fn tenant_id(mut self, tenant_id: impl Into<String>) -> Self {
        self.tenant_id = Some(tenant_id.into());
        self
    }
}

/// A callback's time limits, and for [`DurableContext::wait_for_callback`] how its submitter
/// step is retried.
#[derive(Clone, Debug, Default)]
pub struct CallbackConfig {
    timeout: Option<Duration>,
    heartbeat_timeout: Option<Duration>,
    submitter_retry: Option<RetryStrategy>,
}

impl CallbackConfig {
    /// No limits: the callback waits as long as the execution may run.
    pub fn new() -> Self {
        CallbackConfig::default()
    }

    /// The callback fails with `Callback.Timeout` if not completed within `timeout`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The callback fails if the outside system sends no heartbeat within `timeout`.
    pub fn heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.heartbeat_timeout = Some(timeout);
        self
    }

    /// How [`DurableContext::wait_for_callback`]'s submitter step is retried when it fails
    /// (the default strategy otherwise).
    pub fn submitter_retry(mut self, retry: RetryStrategy) -> Self {
        self.submitter_retry = Some(retry);
        self
    }
}

/// Who the operation is, as the history must show it on replay.
pub(crate) struct Identity<'a> {
    pub(crate) id: String,
    pub(crate) kind: OperationType,
    pub(crate) sub_type: &'a str,
    pub(crate) name: Option<&'a str>,
}

impl DurableContext {
    pub(crate) fn root(execution: Arc<Execution>) -> Self {
        DurableContext {
            execution,
            parent_id: None,
            counter: Arc::new(AtomicU32::new(0)),
        }
    }

    /// A context whose operations are children of operation `id`.
    pub(crate) fn child_of(&self, id: &str) -> Self {
        DurableContext {
            execution: Arc::clone(&self.execution),
            parent_id: Some(id.to_owned()),
            counter: Arc::new(AtomicU32::new(0)),
        }
    }

    /// Whether this invocation replays recorded operations (it is not the first).
    pub fn is_replaying(&self) -> bool {
        self.execution.replaying()
    }

    /// The execution's ARN.
    pub fn execution_arn(&self) -> &str {
        &self.execution.arn
    }

    /// The id of this context's next operation.
    pub(crate) fn next_id(&self) -> String {
        let position = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        self.id_at(position)
    }

    /// The id of the operation at `position` (from 1) in this context.
    pub(crate) fn id_at(&self, position: u32) -> String {
        let raw = match &self.parent_id {
            Some(parent) => format!("{parent}-{position}"),
            None => position.to_string(),
        };
        // Ids are at most 64 characters; nesting would grow them, so they are hashed.
        let digest = Sha256::digest(raw.as_bytes());
        let mut id = String::with_capacity(64);
        for byte in digest {
            let _ = write!(id, "{byte:02x}");
        }
        id
    }

    pub(crate) fn identity<'a>(
        &self,
        kind: OperationType,
        sub_type: &'a str,
        name: &'a str,
    ) -> Identity<'a> {
        Identity {
            id: self.next_id(),
            kind,
            sub_type,
            name: (!name.is_empty()).then_some(name),
        }
    }

    /// The recorded operation for `who`, checked against it: a different type, subtype,
    /// name or parent halts the execution (the code changed, or is not deterministic).
    pub(crate) async fn recorded(&self, who: &Identity<'_>) -> Option<Operation> {
        let op = self.execution.operation(&who.id)?;
        let mut mismatches = Vec::new();
        if op.kind != who.kind {
            mismatches.push(format!(
                "type recorded {} now {}",
                op.kind.as_str(),
                who.kind.as_str()
            ));
        }
        if op.sub_type.as_deref().unwrap_or(who.sub_type) != who.sub_type {
            mismatches.push(format!(
                "subtype recorded {:?} now {:?}",
                op.sub_type.as_deref().unwrap_or_default(),
                who.sub_type
            ));
        }
        if op.name.as_deref().filter(|n| !n.is_empty()) != who.name {
            mismatches.push(format!(
                "name recorded {:?} now {:?}",
                op.name.as_deref().unwrap_or_default(),
                who.name.unwrap_or_default()
            ));
        }
        if op.parent_id.as_deref().filter(|p| !p.is_empty()) != self.parent_id.as_deref() {
            mismatches.push("a different parent context".to_owned());
        }
        if mismatches.is_empty() {
            return Some(op);
        }
        self.halt(Halt::Fail(ErrorObject {
            error_type: Some("NonDeterministicExecutionError".to_owned()),
            error_message: Some(format!(
                "the handler does not replay its history: operation {} ({}) has {}; operations \
                 must be called in the same order with the same names on every invocation",
                who.id,
                who.name.unwrap_or(who.sub_type),
                mismatches.join(", ")
            )),
            ..ErrorObject::default()
        }))
        .await
    }

    /// An update for `who` in this context.
    pub(crate) fn update(&self, who: &Identity<'_>, action: Action) -> OperationUpdate {
        OperationUpdate {
            id: who.id.clone(),
            parent_id: self.parent_id.clone(),
            name: who.name.map(str::to_owned),
            kind: who.kind,
            sub_type: Some(who.sub_type.to_owned()),
            action,
            payload: None,
            error: None,
            options: UpdateOptions::None,
        }
    }

    /// Records `update`; a refused checkpoint halts the invocation here.
    pub(crate) async fn record(&self, update: OperationUpdate, sync: bool) {
        if let Err(halt) = self.execution.checkpoint(update, sync).await {
            self.halt(halt).await
        }
    }

    /// Stops the invocation: the future never completes, the driver answers.
    pub(crate) async fn halt<T>(&self, halt: Halt) -> T {
        self.execution.halt(halt);
        std::future::pending().await
    }

    /// The calling branch waits on the service: the invocation suspends once every branch
    /// does, and the service invokes the function again when something changed.
    pub(crate) async fn suspend<T>(&self) -> T {
        // Updates queued without waiting are sent before the invocation answers.
        if let Err(halt) = self.execution.flush().await {
            return self.halt(halt).await;
        }
        let _suspended = self.execution.suspend();
        std::future::pending().await
    }

    /// Decodes a recorded JSON result.
    pub(crate) async fn decode<T: DurableValue>(&self, result: Option<&str>) -> T {
        match T::__durable_decode(result.unwrap_or("null")) {
            Ok(value) => value,
            Err(error) => {
                self.halt(Halt::Fail(serdes_error(&error, std::any::type_name::<T>())))
                    .await
            }
        }
    }

    /// Encodes a result for the history.
    pub(crate) async fn encode<T: DurableValue>(&self, value: &T) -> String {
        self.encode_json(value.__durable_encode(), std::any::type_name::<T>())
            .await
    }

    /// A chained invoke's payload, for the history.
    async fn encode_payload<T: Serialize>(&self, value: &T) -> String {
        self.encode_json(serde_json::to_string(value), std::any::type_name::<T>())
            .await
    }

    async fn encode_json(
        &self,
        json: Result<String, serde_json::Error>,
        type_name: &str,
    ) -> String {
        match json {
            Ok(json) => json,
            Err(error) => self.halt(Halt::Fail(serdes_error(&error, type_name))).await,
        }
    }

    /// Runs `step` once and records its result; a failure is tried again as `config` says,
    /// in a later invocation. On replay the recorded result is returned and `step` does not
    /// run.
    ///
    /// ```no_run
    /// # async fn f(ctx: lambda_handler::durable::DurableContext) -> Result<(), lambda_handler::durable::DurableError> {
    /// let total: u64 = ctx.step("price order", |_| async { Ok::<_, std::io::Error>(42) }).await?;
    /// # Ok(()) }
    /// ```
    pub async fn step<T, E, F, Fut>(&self, name: &str, step: F) -> Result<T, DurableError>
    where
        T: DurableValue,
        E: fmt::Display,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.step_with(name, StepConfig::default(), step).await
    }

    /// [`step`](Self::step) with a retry strategy and semantics.
    pub async fn step_with<T, E, F, Fut>(
        &self,
        name: &str,
        config: StepConfig,
        step: F,
    ) -> Result<T, DurableError>
    where
        T: DurableValue,
        E: fmt::Display,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let who = self.identity(OperationType::Step, "Step", name);
        self.run_step(who, &config, step).await
    }

    pub(crate) async fn run_step<T, E, F, Fut>(
        &self,
        who: Identity<'_>,
        config: &StepConfig,
        step: F,
    ) -> Result<T, DurableError>
    where
        T: DurableValue,
        E: fmt::Display,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let recorded = self.recorded(&who).await;
        let attempts_made = recorded
            .as_ref()
            .and_then(|op| op.step_details.as_ref())
            .and_then(|d| d.attempt)
            .unwrap_or(0);
        match recorded.as_ref().map(|op| op.status) {
            Some(OperationStatus::Succeeded) => {
                let details = details(recorded.as_ref());
                return Ok(self.decode(details.result.as_deref()).await);
            }
            Some(OperationStatus::Failed) => {
                return Err(DurableError::new("StepError", failure(recorded.as_ref())));
            }
            // A retry is scheduled and not yet due.
            Some(OperationStatus::Pending) => return self.suspend().await,
            Some(OperationStatus::Started)
                if config.semantics == StepSemantics::AtMostOncePerRetry =>
            {
                let error = ErrorObject {
                    error_type: Some("StepInterruptedError".to_owned()),
                    error_message: Some(format!(
                        "step {} was interrupted before its result was recorded",
                        who.name.unwrap_or(&who.id)
                    )),
                    ..ErrorObject::default()
                };
                return self
                    .step_failed(&who, config, error, attempts_made + 1)
                    .await;
            }
            Some(OperationStatus::Started) => {}
            _ if config.semantics == StepSemantics::AtMostOncePerRetry => {
                // At most once: the start is on record before the code runs.
                self.record(self.update(&who, Action::Start), true).await;
            }
            _ => {
                // At least once: the start is sent while the code runs, as AWS's SDKs send it
                // from a background thread (the service dates the attempt from it).
                self.execution.queue(self.update(&who, Action::Start));
                let attempt = attempts_made + 1;
                let (sent, outcome) =
                    join(self.execution.flush(), step(StepContext { attempt })).await;
                if let Err(halt) = sent {
                    return self.halt(halt).await;
                }
                return self.step_outcome(&who, config, attempt, outcome).await;
            }
        }
        let attempt = attempts_made + 1;
        let outcome = step(StepContext { attempt }).await;
        self.step_outcome(&who, config, attempt, outcome).await
    }

    /// Records what an attempt of a step came to.
    async fn step_outcome<T: DurableValue, E: fmt::Display>(
        &self,
        who: &Identity<'_>,
        config: &StepConfig,
        attempt: u32,
        outcome: Result<T, E>,
    ) -> Result<T, DurableError> {
        match outcome {
            Ok(value) => {
                let mut update = self.update(who, Action::Succeed);
                update.payload = Some(self.encode(&value).await);
                self.record(update, true).await;
                Ok(value)
            }
            Err(error) => {
                let error = DurableError::object_of(&error);
                self.step_failed(who, config, error, attempt).await
            }
        }
    }

    /// A failed attempt: a retry later, or the step's final failure.
    async fn step_failed<T>(
        &self,
        who: &Identity<'_>,
        config: &StepConfig,
        error: ErrorObject,
        attempt: u32,
    ) -> Result<T, DurableError> {
        let failure = DurableError::new("StepError", error.clone());
        if let Some(delay) = config.retry.decide(&failure, attempt) {
            let mut update = self.update(who, Action::Retry);
            update.error = Some(error);
            update.options = UpdateOptions::Step {
                next_attempt_delay_seconds: delay,
            };
            self.record(update, true).await;
            return self.suspend().await;
        }
        let mut update = self.update(who, Action::Fail);
        update.error = Some(error);
        self.record(update, true).await;
        Err(failure)
    }

    /// Suspends the execution for `duration` (whole seconds, at least one) without running
    /// or paying for the time: the service invokes the function again when it has passed.
    pub async fn wait(&self, name: &str, duration: Duration) {
        let who = self.identity(OperationType::Wait, "Wait", name);
        let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
        let most = lambda_handler_protocol::durable::MAX_WAIT_SECONDS;
        let seconds = u32::try_from(seconds)
            .ok()
            .filter(|s| (1..=most).contains(s));
        let Some(seconds) = seconds else {
            return self
                .halt(Halt::Fail(ErrorObject {
                    error_type: Some("ValidationError".to_owned()),
                    error_message: Some(format!(
                        "a wait lasts from 1 second to {most} seconds (a year); {duration:?} was \
                         asked"
                    )),
                    ..ErrorObject::default()
                }))
                .await;
        };
        match self.recorded(&who).await.map(|op| op.status) {
            Some(OperationStatus::Succeeded) => {}
            Some(_) => self.suspend().await,
            None => {
                let mut update = self.update(&who, Action::Start);
                update.options = UpdateOptions::Wait {
                    wait_seconds: seconds,
                };
                self.record(update, true).await;
                self.suspend().await
            }
        }
    }

    /// Runs `body` in a child context: its operations are recorded under one operation,
    /// whose result replays as one value.
    pub async fn run_in_child_context<T, E, F, Fut>(
        &self,
        name: &str,
        body: F,
    ) -> Result<T, DurableError>
    where
        T: DurableValue,
        E: fmt::Display,
        F: FnOnce(DurableContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let who = self.identity(OperationType::Context, "RunInChildContext", name);
        self.run_child(who, body, |e| DurableError::object_of(e))
            .await
    }

    pub(crate) async fn run_child<T, E, F, Fut>(
        &self,
        who: Identity<'_>,
        body: F,
        error_object: impl FnOnce(&E) -> ErrorObject,
    ) -> Result<T, DurableError>
    where
        T: DurableValue,
        F: FnOnce(DurableContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let recorded = self.recorded(&who).await;
        let replay_children = details(recorded.as_ref()).replay_children == Some(true);
        match recorded.as_ref().map(|op| op.status) {
            Some(OperationStatus::Succeeded) if !replay_children => {
                return Ok(self
                    .decode(details(recorded.as_ref()).result.as_deref())
                    .await);
            }
            Some(OperationStatus::Failed) => {
                return Err(DurableError::new(
                    "ChildContextError",
                    failure(recorded.as_ref()),
                ));
            }
            Some(_) => {}
            None => self.record(self.update(&who, Action::Start), false).await,
        }
        let finished = recorded
            .as_ref()
            .is_some_and(|op| op.status == OperationStatus::Succeeded);
        let child = self.child_of(&who.id);
        match body(child).await {
            Ok(value) if finished => Ok(value),
            Ok(value) => {
                let payload = self.encode(&value).await;
                let mut update = self.update(&who, Action::Succeed);
                if payload.len() > CHECKPOINT_PAYLOAD_LIMIT {
                    update.options = UpdateOptions::Context {
                        replay_children: true,
                    };
                } else {
                    update.payload = Some(payload);
                }
                self.record(update, true).await;
                Ok(value)
            }
            Err(error) => {
                let error = error_object(&error);
                let mut update = self.update(&who, Action::Fail);
                update.error = Some(error.clone());
                self.record(update, true).await;
                Err(DurableError::new("ChildContextError", error))
            }
        }
    }

    /// Creates a callback; an outside system completes it with its id, and
    /// [`Callback::result`] waits for the value it sends.
    pub async fn create_callback<T: DurableValue>(
        &self,
        name: &str,
        config: CallbackConfig,
    ) -> Result<Callback<T>, DurableError> {
        let who = self.identity(OperationType::Callback, "Callback", name);
        let mut recorded = self.recorded(&who).await;
        if recorded.is_none() {
            let mut update = self.update(&who, Action::Start);
            // Whole seconds, at least one, at most the API's limit; 0 is none.
            let most = lambda_handler_protocol::durable::MAX_CALLBACK_TIMEOUT_SECONDS;
            let seconds = |d: Option<Duration>| {
                d.map_or(0, |d| {
                    u32::try_from(d.as_secs().max(1)).unwrap_or(most).min(most)
                })
            };
            update.options = UpdateOptions::Callback {
                timeout_seconds: seconds(config.timeout),
                heartbeat_timeout_seconds: seconds(config.heartbeat_timeout),
            };
            // The service assigns the callback's id in its answer.
            self.record(update, true).await;
            recorded = self.execution.operation(&who.id);
        }
        let Some(id) = details(recorded.as_ref()).callback_id.clone() else {
            return self
                .halt(Halt::Fail(ErrorObject {
                    error_type: Some("CallbackError".to_owned()),
                    error_message: Some(format!(
                        "the service recorded callback {} without a callback id",
                        who.id
                    )),
                    ..ErrorObject::default()
                }))
                .await;
        };
        Ok(Callback {
            id,
            operation_id: who.id,
            context: self.clone(),
            value: PhantomData,
        })
    }

    /// Creates a callback, hands its id to `submit` (run as a step: tell the outside system),
    /// and waits for the value the outside system sends.
    pub async fn wait_for_callback<T, E, F, Fut>(
        &self,
        name: &str,
        config: CallbackConfig,
        submit: F,
    ) -> Result<T, DurableError>
    where
        T: DurableValue,
        E: fmt::Display,
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        let who = self.identity(OperationType::Context, "WaitForCallback", name);
        let prefix = match who.name {
            Some(name) => format!("{name} "),
            None => String::new(),
        };
        let submitter = StepConfig::new().retry(config.submitter_retry.clone().unwrap_or_default());
        self.run_child(
            who,
            |child| async move {
                let callback = child
                    .create_callback::<T>(&format!("{prefix}create callback id"), config)
                    .await?;
                let id = callback.id().to_owned();
                let submitted: Result<(), DurableError> = child
                    .step_with(&format!("{prefix}submitter"), submitter, |_| submit(id))
                    .await;
                if let Err(error) = submitted {
                    return Err(DurableError::new(
                        "CallbackSubmitterError",
                        error.error_object().clone(),
                    ));
                }
                callback.result().await
            },
            |error: &DurableError| error.error_object().clone(),
        )
        .await
        .map_err(|error| match error.kind() {
            // The child's failure is the callback's (or its submitter's) failure.
            "ChildContextError" => DurableError::new("CallbackError", error.error_object().clone()),
            _ => error,
        })
    }

    /// Invokes another durable function (`function_name`, an ARN or name with a qualifier)
    /// and waits for its result, without paying for the time.
    pub async fn invoke<I, O>(
        &self,
        name: &str,
        function_name: &str,
        payload: &I,
    ) -> Result<O, DurableError>
    where
        I: Serialize,
        O: DurableValue,
    {
        self.invoke_with(name, function_name, payload, InvokeConfig::new())
            .await
    }

    /// [`invoke`](Self::invoke) as `config` says: for a tenant-isolated function, the tenant.
    pub async fn invoke_with<I, O>(
        &self,
        name: &str,
        function_name: &str,
        payload: &I,
        config: InvokeConfig,
    ) -> Result<O, DurableError>
    where
        I: Serialize,
        O: DurableValue,
    {
        let who = self.identity(OperationType::ChainedInvoke, "ChainedInvoke", name);
        let recorded = self.recorded(&who).await;
        match recorded.as_ref().map(|op| op.status) {
            Some(OperationStatus::Succeeded) => Ok(self
                .decode(details(recorded.as_ref()).result.as_deref())
                .await),
            Some(
                OperationStatus::Failed | OperationStatus::TimedOut | OperationStatus::Stopped,
            ) => Err(DurableError::new("InvokeError", failure(recorded.as_ref()))),
            Some(_) => self.suspend().await,
            None => {
                let mut update = self.update(&who, Action::Start);
                update.payload = Some(self.encode_payload(payload).await);
                update.options = UpdateOptions::ChainedInvoke {
                    function_name: function_name.to_owned(),
                    tenant_id: config.tenant_id,
                };
                self.record(update, true).await;
                self.suspend().await
            }
        }
    }
}

impl<T: DurableValue> Callback<T> {
    /// The id the outside system completes the callback with.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The value the outside system sent (`SendDurableExecutionCallbackSuccess`), or its
    /// failure (`...Failure`, a timeout). The execution suspends until then.
    pub async fn result(self) -> Result<T, DurableError> {
        let context = &self.context;
        let recorded = context.execution.operation(&self.operation_id);
        match recorded.as_ref().map(|op| op.status) {
            Some(OperationStatus::Succeeded) => Ok(context
                .decode(details(recorded.as_ref()).result.as_deref())
                .await),
            Some(
                OperationStatus::Failed | OperationStatus::TimedOut | OperationStatus::Cancelled,
            ) => Err(DurableError::new(
                "CallbackError",
                failure(recorded.as_ref()),
            )),
            _ => context.suspend().await,
        }
    }
}

/// Both futures' outputs, polled together in the calling task.
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    let (mut out_a, mut out_b) = (None, None);
    std::future::poll_fn(|cx| {
        if out_a.is_none()
            && let std::task::Poll::Ready(out) = a.as_mut().poll(cx)
        {
            out_a = Some(out);
        }
        if out_b.is_none()
            && let std::task::Poll::Ready(out) = b.as_mut().poll(cx)
        {
            out_b = Some(out);
        }
        if out_a.is_some() && out_b.is_some() {
            std::task::Poll::Ready((out_a.take().unwrap(), out_b.take().unwrap()))
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

fn details(op: Option<&Operation>) -> Details {
    op.and_then(Operation::details).cloned().unwrap_or_default()
}

/// The recorded failure of an operation (an empty error if the record has none).
fn failure(op: Option<&Operation>) -> ErrorObject {
    details(op).error.unwrap_or_default()
}

fn serdes_error(error: &serde_json::Error, type_name: &str) -> ErrorObject {
    ErrorObject {
        error_type: Some("SerDesError".to_owned()),
        error_message: Some(format!("a `{type_name}` did not survive JSON: {error}")),
        ..ErrorObject::default()
    }
}
