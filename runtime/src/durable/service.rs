//! The two Lambda API calls a durable function makes, through the AWS SDK for Rust:
//! `CheckpointDurableExecution` records updates and hands back the next checkpoint token,
//! `GetDurableExecutionState` reads history pages beyond the invocation's first.
//!
//! The client is built once per process from the function's environment, as Lambda sets
//! it: `AWS_REGION`, the role's `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_SESSION_TOKEN`, and `AWS_ENDPOINT_URL_LAMBDA` (or `AWS_ENDPOINT_URL`) to point it at
//! a local service such as AWS's `dex-local-runner`.

use std::sync::OnceLock;

use aws_sdk_lambda::Client;
use aws_sdk_lambda::config::http::HttpResponse;
use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::types as sdk;
use aws_smithy_http_client::tls;

use super::model::{
    Action, Details, ErrorObject, Operation, OperationStatus, OperationType, OperationUpdate,
    UpdateOptions,
};

/// A failed call to the durable-execution API.
#[derive(Debug)]
pub(crate) struct ServiceError {
    /// The service may succeed if the invocation is tried again (throttling, a 5xx, the
    /// network); otherwise the execution fails.
    pub(crate) retryable: bool,
    pub(crate) error: ErrorObject,
}

/// The process's Lambda client.
pub(crate) fn client() -> &'static Client {
    static CLIENT: OnceLock<Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut config = aws_sdk_lambda::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(https)
            .region(Region::new(region));
        // Lambda gives a function its role's credentials in these variables, fixed for the
        // environment's life, so the SDK's credential chain (and `aws-config`) is not needed.
        if let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY"))
        {
            config = config.credentials_provider(Credentials::new(
                key,
                secret,
                var("AWS_SESSION_TOKEN"),
                None,
                "environment",
            ));
        }
        if let Some(endpoint) = var(lambda_handler_protocol::env::ENDPOINT_URL_LAMBDA)
            .or_else(|| var("AWS_ENDPOINT_URL"))
        {
            config = config.endpoint_url(endpoint);
        }
        Client::from_conf(config.build())
    })
}

/// Records `updates`, consuming `token`: the next token and the operations that changed.
pub(crate) async fn checkpoint(
    arn: &str,
    token: &str,
    updates: Vec<OperationUpdate>,
) -> Result<(String, Vec<Operation>), ServiceError> {
    let mut call = client()
        .checkpoint_durable_execution()
        .durable_execution_arn(arn)
        .checkpoint_token(token);
    for update in updates {
        call = call.updates(to_sdk(update));
    }
    let answer = call.send().await.map_err(service_error)?;
    let token = answer.checkpoint_token.unwrap_or_default();
    let operations = answer
        .new_execution_state
        .and_then(|state| state.operations)
        .unwrap_or_default()
        .into_iter()
        .map(from_sdk)
        .collect();
    Ok((token, operations))
}

/// One page of the execution's operations after `marker`, and the next page's marker.
pub(crate) async fn state_page(
    arn: &str,
    token: &str,
    marker: &str,
) -> Result<(Vec<Operation>, Option<String>), ServiceError> {
    let answer = client()
        .get_durable_execution_state()
        .durable_execution_arn(arn)
        .checkpoint_token(token)
        .marker(marker)
        .send()
        .await
        .map_err(service_error)?;
    let operations = answer.operations.into_iter().map(from_sdk).collect();
    Ok((operations, answer.next_marker.filter(|m| !m.is_empty())))
}

fn service_error<E>(error: SdkError<E, HttpResponse>) -> ServiceError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let status = error.raw_response().map(|raw| raw.status().as_u16());
    let code = error.code().map(str::to_owned);
    // As AWS's Python SDK decides (`BotoClientError.is_retryable`): no answer, throttling
    // and server errors are tried again with the invocation; other errors fail the execution.
    let retryable = match status {
        None => true,
        Some(status) => status == 429 || status >= 500,
    };
    ServiceError {
        retryable,
        error: ErrorObject {
            error_type: Some(code.unwrap_or_else(|| "CheckpointError".to_owned())),
            error_message: Some(DisplayErrorContext(&error).to_string()),
            ..ErrorObject::default()
        },
    }
}

fn to_sdk(update: OperationUpdate) -> sdk::OperationUpdate {
    let action = match update.action {
        Action::Start => sdk::OperationAction::Start,
        Action::Succeed => sdk::OperationAction::Succeed,
        Action::Fail => sdk::OperationAction::Fail,
        Action::Retry => sdk::OperationAction::Retry,
    };
    let mut builder = sdk::OperationUpdate::builder()
        .id(update.id)
        .set_parent_id(update.parent_id)
        .set_name(update.name)
        .r#type(sdk::OperationType::from(update.kind.as_str()))
        .set_sub_type(update.sub_type)
        .action(action)
        .set_payload(update.payload)
        .set_error(update.error.map(error_to_sdk));
    builder = match update.options {
        UpdateOptions::None => builder,
        UpdateOptions::Step {
            next_attempt_delay_seconds,
        } => builder.step_options(
            sdk::StepOptions::builder()
                .next_attempt_delay_seconds(saturate(next_attempt_delay_seconds))
                .build(),
        ),
        UpdateOptions::Wait { wait_seconds } => builder.wait_options(
            sdk::WaitOptions::builder()
                .wait_seconds(saturate(wait_seconds))
                .build(),
        ),
        UpdateOptions::Callback {
            timeout_seconds,
            heartbeat_timeout_seconds,
        } => builder.callback_options(
            sdk::CallbackOptions::builder()
                .timeout_seconds(saturate(timeout_seconds))
                .heartbeat_timeout_seconds(saturate(heartbeat_timeout_seconds))
                .build(),
        ),
        UpdateOptions::ChainedInvoke {
            function_name,
            tenant_id,
        } => builder.chained_invoke_options(
            sdk::ChainedInvokeOptions::builder()
                .function_name(function_name)
                .set_tenant_id(tenant_id)
                .build()
                .expect("the function name is set"),
        ),
        UpdateOptions::Context { replay_children } => builder.context_options(
            sdk::ContextOptions::builder()
                .replay_children(replay_children)
                .build(),
        ),
    };
    builder
        .build()
        .expect("an update always has an id, a type and an action")
}

fn saturate(seconds: u32) -> i32 {
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

fn error_to_sdk(error: ErrorObject) -> sdk::ErrorObject {
    sdk::ErrorObject::builder()
        .set_error_type(error.error_type)
        .set_error_message(error.error_message)
        .set_error_data(error.error_data)
        .set_stack_trace(error.stack_trace)
        .build()
}

fn error_from_sdk(error: &sdk::ErrorObject) -> ErrorObject {
    ErrorObject {
        error_type: error.error_type.clone(),
        error_message: error.error_message.clone(),
        error_data: error.error_data.clone(),
        stack_trace: error.stack_trace.clone(),
    }
}

fn from_sdk(operation: sdk::Operation) -> Operation {
    let kind = match operation.r#type {
        sdk::OperationType::Execution => OperationType::Execution,
        sdk::OperationType::Context => OperationType::Context,
        sdk::OperationType::Step => OperationType::Step,
        sdk::OperationType::Wait => OperationType::Wait,
        sdk::OperationType::Callback => OperationType::Callback,
        sdk::OperationType::ChainedInvoke => OperationType::ChainedInvoke,
        _ => OperationType::Unknown,
    };
    let status = match operation.status {
        sdk::OperationStatus::Started => OperationStatus::Started,
        sdk::OperationStatus::Pending => OperationStatus::Pending,
        sdk::OperationStatus::Ready => OperationStatus::Ready,
        sdk::OperationStatus::Succeeded => OperationStatus::Succeeded,
        sdk::OperationStatus::Failed => OperationStatus::Failed,
        sdk::OperationStatus::Cancelled => OperationStatus::Cancelled,
        sdk::OperationStatus::TimedOut => OperationStatus::TimedOut,
        sdk::OperationStatus::Stopped => OperationStatus::Stopped,
        _ => OperationStatus::Unknown,
    };
    let outcome = |result: Option<&String>, error: Option<&sdk::ErrorObject>| Details {
        result: result.cloned(),
        error: error.map(error_from_sdk),
        ..Details::default()
    };
    Operation {
        execution_details: operation.execution_details.as_ref().map(|d| Details {
            input_payload: d.input_payload.clone(),
            ..Details::default()
        }),
        context_details: operation.context_details.as_ref().map(|d| Details {
            replay_children: d.replay_children,
            ..outcome(d.result.as_ref(), d.error.as_ref())
        }),
        step_details: operation.step_details.as_ref().map(|d| Details {
            attempt: u32::try_from(d.attempt).ok(),
            ..outcome(d.result.as_ref(), d.error.as_ref())
        }),
        callback_details: operation.callback_details.as_ref().map(|d| Details {
            callback_id: d.callback_id.clone(),
            ..outcome(d.result.as_ref(), d.error.as_ref())
        }),
        chained_invoke_details: operation
            .chained_invoke_details
            .as_ref()
            .map(|d| outcome(d.result.as_ref(), d.error.as_ref())),
        id: operation.id,
        parent_id: operation.parent_id,
        name: operation.name,
        kind,
        sub_type: operation.sub_type,
        status,
    }
}
