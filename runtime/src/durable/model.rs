//! The durable-execution API's records as they travel: the invocation's envelope, the
//! operations of an execution's history, the updates a checkpoint sends, and the answer.
//!
//! Field names and values are the Lambda API's (`CheckpointDurableExecution`,
//! `GetDurableExecutionState`, API version 2025-12-01), as AWS's Python SDK reads them from
//! the invocation event (`aws_durable_execution_sdk_python/lambda_service.py`,
//! `execution.py`).

use serde::{Deserialize, Serialize};

/// The event Lambda sends a durable function: which execution, the token its next
/// checkpoint consumes, and the first page of its history.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Invocation {
    pub(crate) durable_execution_arn: String,
    pub(crate) checkpoint_token: String,
    #[serde(default)]
    pub(crate) initial_execution_state: InitialState,
}

/// The first page of an execution's operations; `NextMarker` names the next page.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct InitialState {
    #[serde(default)]
    pub(crate) operations: Vec<Operation>,
    #[serde(default)]
    pub(crate) next_marker: Option<String>,
}

/// What a durable function answers: `SUCCEEDED` with its result (a JSON string), `FAILED`
/// with an error, or `PENDING` when it suspended and the service will invoke it again.
#[derive(Serialize, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct DurableOutput {
    pub(crate) status: InvocationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) result: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ErrorObject>,
}

#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum InvocationStatus {
    Succeeded,
    Failed,
    Pending,
}

/// An error as durable executions record it (a failed step, callback or execution).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorObject {
    /// The kind of error: the short name of the Rust error type that failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// The error's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Data the error carries, as a string (often JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<String>,
    /// The error's `source()` chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack_trace: Option<Vec<String>>,
}

/// One operation of an execution's history, as the service records it.
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Operation {
    pub(crate) id: String,
    #[serde(default)]
    pub(crate) parent_id: Option<String>,
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(rename = "Type")]
    pub(crate) kind: OperationType,
    #[serde(default)]
    pub(crate) sub_type: Option<String>,
    pub(crate) status: OperationStatus,
    #[serde(default)]
    pub(crate) execution_details: Option<Details>,
    #[serde(default)]
    pub(crate) context_details: Option<Details>,
    #[serde(default)]
    pub(crate) step_details: Option<Details>,
    #[serde(default)]
    pub(crate) callback_details: Option<Details>,
    #[serde(default)]
    pub(crate) chained_invoke_details: Option<Details>,
}

/// The details of an operation of any type: each type's record has some of these fields.
#[derive(Deserialize, Debug, Clone, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Details {
    /// Execution: the execution's input, the function's event.
    #[serde(default)]
    pub(crate) input_payload: Option<String>,
    #[serde(default)]
    pub(crate) result: Option<String>,
    #[serde(default)]
    pub(crate) error: Option<ErrorObject>,
    /// Step: attempts made so far.
    #[serde(default)]
    pub(crate) attempt: Option<u32>,
    /// Callback: the id an outside system completes it with.
    #[serde(default)]
    pub(crate) callback_id: Option<String>,
    /// Context: the result was too large to record; replay the children to rebuild it.
    #[serde(default)]
    pub(crate) replay_children: Option<bool>,
}

impl Operation {
    /// The details of this operation's own type.
    pub(crate) fn details(&self) -> Option<&Details> {
        match self.kind {
            OperationType::Execution => self.execution_details.as_ref(),
            OperationType::Context => self.context_details.as_ref(),
            OperationType::Step => self.step_details.as_ref(),
            OperationType::Callback => self.callback_details.as_ref(),
            OperationType::ChainedInvoke => self.chained_invoke_details.as_ref(),
            OperationType::Wait | OperationType::Unknown => None,
        }
    }
}

/// The operation types of the durable-execution API.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum OperationType {
    Execution,
    Context,
    Step,
    Wait,
    Callback,
    ChainedInvoke,
    #[serde(other)]
    Unknown,
}

impl OperationType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OperationType::Execution => "EXECUTION",
            OperationType::Context => "CONTEXT",
            OperationType::Step => "STEP",
            OperationType::Wait => "WAIT",
            OperationType::Callback => "CALLBACK",
            OperationType::ChainedInvoke => "CHAINED_INVOKE",
            OperationType::Unknown => "UNKNOWN",
        }
    }
}

/// An operation's status in the history.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum OperationStatus {
    Started,
    Pending,
    Ready,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Stopped,
    #[serde(other)]
    Unknown,
}

/// What a checkpoint does to an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Start,
    Succeed,
    Fail,
    Retry,
}

/// One change a checkpoint records.
#[derive(Debug, Clone)]
pub(crate) struct OperationUpdate {
    pub(crate) id: String,
    pub(crate) parent_id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) kind: OperationType,
    pub(crate) sub_type: Option<String>,
    pub(crate) action: Action,
    pub(crate) payload: Option<String>,
    pub(crate) error: Option<ErrorObject>,
    pub(crate) options: UpdateOptions,
}

/// The per-type options of an update.
#[derive(Debug, Clone, Default)]
pub(crate) enum UpdateOptions {
    #[default]
    None,
    /// A step's retry: when to try again.
    Step { next_attempt_delay_seconds: u32 },
    /// A wait's length.
    Wait { wait_seconds: u32 },
    /// A callback's time limits (0: none).
    Callback {
        timeout_seconds: u32,
        heartbeat_timeout_seconds: u32,
    },
    /// A chained invoke's target.
    ChainedInvoke {
        function_name: String,
        tenant_id: Option<String>,
    },
    /// A child context whose result is too large to record.
    Context { replay_children: bool },
}
