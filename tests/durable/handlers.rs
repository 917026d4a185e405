//! One durable handler per case of AWS's durable-execution conformance requirements
//! (`aws-durable-execution-conformance-tests`, fetched by `tests/durable.rs` at test time),
//! written here from each case's `handler` and `invocations` text, as each AWS SDK's own
//! repository writes them. `_HANDLER` picks the case: `step_1_1` is `step/1-1.yaml`.

use std::fmt;
use std::time::Duration;

use lambda_handler::durable::{
    BatchConfig, BatchResult, CallbackConfig, CompletionReason, DurableContext, DurableError,
    InvokeConfig, Jitter, ParallelBranch, RetryStrategy, StepConfig, StepSemantics, WaitStrategy,
};
use lambda_handler::lambda_handler;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Value, json};

/// The failure the cases' step functions raise.
#[derive(Debug)]
struct Failure(&'static str);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A failure a retry strategy may single out by its type (`.*TransientError$`).
#[derive(Debug)]
struct TransientError;

impl fmt::Display for TransientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("transient failure")
    }
}

type Outcome = Result<Value, DurableError>;

fn no_retry() -> StepConfig {
    StepConfig::new().retry(RetryStrategy::none())
}

fn text(event: &Value) -> &str {
    event.as_str().unwrap_or_default()
}

/// The Lambda runtime crashes mid-step (the cases' `process.exit`).
fn crash() -> Result<String, Failure> {
    std::process::exit(1)
}

// --- step ---------------------------------------------------------------------------------

#[lambda_handler(durable)]
async fn step_1_1(event: Value, ctx: DurableContext) -> Outcome {
    let name = text(&event).to_owned();
    let greeting: String = ctx
        .step("greet", |_| async move {
            Ok::<_, Failure>(format!("Hello, {name}!"))
        })
        .await?;
    Ok(json!(greeting))
}

#[lambda_handler(durable)]
async fn step_1_2(event: Value, ctx: DurableContext) -> Outcome {
    let name = text(&event).to_owned();
    let greeting: String = ctx
        .step("custom_step_name", |_| async move {
            Ok::<_, Failure>(format!("Hello, {name}!"))
        })
        .await?;
    Ok(json!(greeting))
}

#[lambda_handler(durable)]
async fn step_1_3(_event: Value, ctx: DurableContext) -> Outcome {
    let first: String = ctx
        .step("step_one", |_| async {
            Ok::<_, Failure>("first".to_owned())
        })
        .await?;
    let both: String = ctx
        .step("step_two", |_| async move {
            Ok::<_, Failure>(format!("{first}_second"))
        })
        .await?;
    Ok(json!(both))
}

#[lambda_handler(durable)]
async fn step_1_4(_event: Value, ctx: DurableContext) -> Outcome {
    #[derive(Serialize, Deserialize)]
    struct User {
        name: String,
        tags: Vec<String>,
    }
    #[derive(Serialize, Deserialize)]
    struct Response {
        user: User,
        count: u32,
    }
    let response: Response = ctx
        .step("build_response", |_| async {
            let tags = vec!["admin".to_owned(), "active".to_owned()];
            Ok::<_, Failure>(Response {
                count: tags.len() as u32,
                user: User {
                    name: "Alice".to_owned(),
                    tags,
                },
            })
        })
        .await?;
    Ok(serde_json::to_value(response).expect("JSON"))
}

#[lambda_handler(durable)]
async fn step_1_5(_event: Value, ctx: DurableContext) -> Outcome {
    let nothing: Option<String> = ctx
        .step("do_nothing", |_| async { Ok::<_, Failure>(None) })
        .await?;
    Ok(json!(nothing))
}

/// A string that serializes in upper case: a type's own `Serialize` is how a Rust value
/// picks its representation (the case's "custom serdes").
#[derive(Deserialize)]
struct Uppercase(String);

impl Serialize for Uppercase {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.to_uppercase())
    }
}

#[lambda_handler(durable)]
async fn step_1_6(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: Uppercase = ctx
        .step("return_input", |_| async move {
            Ok::<_, Failure>(Uppercase(input))
        })
        .await?;
    // The recorded (serialized) value is what the execution returns, as on replay.
    Ok(serde_json::to_value(value).expect("JSON"))
}

#[lambda_handler(durable)]
async fn step_1_7(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let greeting: String = ctx
        .step("greet", |_| async move {
            println!("Greeting step started for: {input}");
            let greeting = format!("Hello, {input}!");
            println!("Greeting step completed with: {greeting}");
            Ok::<_, Failure>(greeting)
        })
        .await?;
    Ok(json!(greeting))
}

#[lambda_handler(durable)]
async fn step_1_8(_event: Value, ctx: DurableContext) -> Outcome {
    let value: String = ctx
        .step("compute", |_| async {
            Ok::<_, Failure>("computed".to_owned())
        })
        .await?;
    ctx.wait("", Duration::from_secs(2)).await;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_9(_event: Value, ctx: DurableContext) -> Outcome {
    let value: String = ctx
        .step("cache", |_| async {
            println!("step executed");
            Ok::<_, Failure>("cached_value".to_owned())
        })
        .await?;
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_10(_event: Value, ctx: DurableContext) -> Outcome {
    let failed: Result<String, _> = ctx
        .step_with("fail", no_retry(), |_| async {
            println!("step executed");
            Err::<String, _>(Failure("permanent failure"))
        })
        .await;
    assert!(failed.is_err(), "the step fails, on replay too");
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(Value::Null)
}

#[lambda_handler(durable)]
async fn step_1_11(_event: Value, ctx: DurableContext) -> Outcome {
    let retry = RetryStrategy::default()
        .max_attempts(3)
        .initial_delay(Duration::from_secs(1))
        .jitter(Jitter::None);
    let value: String = ctx
        .step_with(
            "unreliable",
            StepConfig::new().retry(retry),
            |step| async move {
                match step.attempt() {
                    1 => Err(Failure("first attempt fails")),
                    _ => Ok("Operation succeeded".to_owned()),
                }
            },
        )
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_12(_event: Value, ctx: DurableContext) -> Outcome {
    let retry = RetryStrategy::default()
        .max_attempts(4)
        .initial_delay(Duration::from_secs(1))
        .backoff_rate(1.0)
        .jitter(Jitter::None);
    let value: String = ctx
        .step_with("always_fail", StepConfig::new().retry(retry), |_| async {
            Err::<String, _>(Failure("always fails"))
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_13(_event: Value, ctx: DurableContext) -> Outcome {
    let value: String = ctx
        .step("unreliable", |step| async move {
            match step.attempt() {
                1 | 2 => Err(Failure("not yet")),
                _ => Ok("succeeded".to_owned()),
            }
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_14(_event: Value, ctx: DurableContext) -> Outcome {
    let retry = RetryStrategy::default()
        .max_attempts(5)
        .initial_delay(Duration::from_secs(2))
        .backoff_rate(3.0)
        .jitter(Jitter::None);
    let value: String = ctx
        .step_with("flaky", StepConfig::new().retry(retry), |step| async move {
            match step.attempt() {
                1 | 2 => Err(Failure("not yet")),
                _ => Ok("succeeded".to_owned()),
            }
        })
        .await?;
    Ok(json!(value))
}

fn retry_on_transient() -> RetryStrategy {
    RetryStrategy::default()
        .initial_delay(Duration::from_secs(1))
        .jitter(Jitter::None)
        .retry_if(|error| error.error_type() == Some("TransientError"))
}

#[lambda_handler(durable)]
async fn step_1_15(_event: Value, ctx: DurableContext) -> Outcome {
    let value: String = ctx
        .step_with(
            "transient",
            StepConfig::new().retry(retry_on_transient()),
            |step| async move {
                match step.attempt() {
                    1 => Err(TransientError),
                    _ => Ok("recovered".to_owned()),
                }
            },
        )
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_16(_event: Value, ctx: DurableContext) -> Outcome {
    let never_transient =
        RetryStrategy::default().retry_if(|error| error.error_type() != Some("TransientError"));
    let value: String = ctx
        .step_with(
            "transient",
            StepConfig::new().retry(never_transient),
            |_| async { Err::<String, _>(TransientError) },
        )
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_17(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let config = no_retry().semantics(StepSemantics::AtMostOncePerRetry);
    let value: String = ctx
        .step_with("at_most_once_flaky_step", config, |_| async move {
            println!("{input}");
            crash()
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_18(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let retry = RetryStrategy::default()
        .max_attempts(3)
        .initial_delay(Duration::from_secs(1))
        .jitter(Jitter::None);
    let config = StepConfig::new()
        .retry(retry)
        .semantics(StepSemantics::AtMostOncePerRetry);
    let value: String = ctx
        .step_with("at_most_once_flaky_step", config, |step| async move {
            println!("{input}");
            if step.attempt() == 1 {
                crash()?;
            }
            Ok::<_, Failure>("succeeded on second attempt".to_owned())
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_19(_event: Value, ctx: DurableContext) -> Outcome {
    let value: String = ctx
        .step_with("failing", no_retry(), |_| async {
            Err::<String, _>(Failure("always fails"))
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn step_1_20(_event: Value, ctx: DurableContext) -> Outcome {
    let first: String = ctx
        .step_with("failing", no_retry(), |_| async {
            Err::<String, _>(Failure("fails"))
        })
        .await
        .unwrap_or_else(|_| "fallback".to_owned());
    let value: String = ctx
        .step("continue", |_| async move {
            Ok::<_, Failure>(format!("{first}_result"))
        })
        .await?;
    Ok(json!(value))
}

// --- wait ---------------------------------------------------------------------------------

#[lambda_handler(durable)]
async fn wait_2_1(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait("", Duration::from_secs(2)).await;
    Ok(Value::Null)
}

#[lambda_handler(durable)]
async fn wait_2_2(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait("custom_wait_name", Duration::from_secs(2)).await;
    Ok(Value::Null)
}

#[lambda_handler(durable)]
async fn wait_2_3(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait("wait-1", Duration::from_secs(2)).await;
    ctx.wait("wait-2", Duration::from_secs(2)).await;
    Ok(json!({ "completedWaits": 2 }))
}

#[lambda_handler(durable)]
async fn wait_2_4(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait("", Duration::from_secs(60)).await;
    Ok(Value::Null)
}

#[lambda_handler(durable)]
async fn wait_2_5(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait("", Duration::from_secs(3600)).await;
    Ok(Value::Null)
}

// --- child --------------------------------------------------------------------------------

/// A step that returns `value`.
async fn echo(ctx: &DurableContext, name: &str, value: String) -> Result<String, DurableError> {
    ctx.step(name, |_| async move { Ok::<_, Failure>(value) })
        .await
}

#[lambda_handler(durable)]
async fn child_3_1(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: String = ctx
        .run_in_child_context(
            "child",
            |child| async move { echo(&child, "step", input).await },
        )
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_2(event: Value, ctx: DurableContext) -> Outcome {
    let name = event["name"].as_str().unwrap_or_default().to_owned();
    let value = event["value"].as_str().unwrap_or_default().to_owned();
    let value: String = ctx
        .run_in_child_context(
            &name,
            |child| async move { echo(&child, "step", value).await },
        )
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_3(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: String = ctx
        .run_in_child_context("child", |child| async move {
            let first = echo(&child, "first", input).await?;
            echo(&child, "second", first).await
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_4(_event: Value, ctx: DurableContext) -> Outcome {
    let value: String = ctx
        .run_in_child_context("child", |child| async move {
            child
                .step_with("fail", no_retry(), |_| async {
                    Err::<String, _>(Failure("inner failure"))
                })
                .await
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_5(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let failed: Result<String, _> = ctx
        .run_in_child_context("child", |child| async move {
            child
                .step_with("fail", no_retry(), |_| async {
                    Err::<String, _>(Failure("inner failure"))
                })
                .await
        })
        .await;
    assert!(failed.is_err());
    Ok(json!(echo(&ctx, "recover", input).await?))
}

#[lambda_handler(durable)]
async fn child_3_6(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: String = ctx
        .run_in_child_context("outer", |outer| async move {
            let outer_value = echo(&outer, "outer step", input).await?;
            outer
                .run_in_child_context("inner", |inner| async move {
                    echo(&inner, "inner step", outer_value).await
                })
                .await
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_7(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let retry = RetryStrategy::default()
        .initial_delay(Duration::from_secs(1))
        .jitter(Jitter::None);
    let value: String = ctx
        .run_in_child_context("child", |child| async move {
            child
                .step_with("flaky", StepConfig::new().retry(retry), |step| async move {
                    match step.attempt() {
                        1 => Err(Failure("first attempt fails")),
                        _ => Ok(input),
                    }
                })
                .await
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_8(_event: Value, ctx: DurableContext) -> Outcome {
    let retry = RetryStrategy::default()
        .max_attempts(2)
        .initial_delay(Duration::from_secs(1))
        .jitter(Jitter::None);
    let value: String = ctx
        .run_in_child_context("child", |child| async move {
            child
                .step_with("always fail", StepConfig::new().retry(retry), |_| async {
                    Err::<String, _>(Failure("always fails"))
                })
                .await
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_9(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: String = ctx
        .run_in_child_context(
            "child",
            |child| async move { echo(&child, "step", input).await },
        )
        .await?;
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_10(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: String = ctx
        .run_in_child_context("child", |child| async move {
            let value = echo(&child, "step", input).await?;
            child.wait("", Duration::from_secs(1)).await;
            Ok::<_, DurableError>(value)
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_11(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let large: Vec<String> = ctx
        .run_in_child_context("large", |child| async move {
            println!("child context for {input}");
            let small = echo(&child, "small", "x".to_owned()).await?;
            // Over the 256 KB a checkpoint records: the context's children replay instead.
            Ok::<_, DurableError>(vec![small.repeat(1024); 300])
        })
        .await?;
    assert_eq!(large.len(), 300);
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(json!(text(&event)))
}

#[lambda_handler(durable)]
async fn child_3_12(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    // The first process to run the step crashes; the marker tells its successor.
    let marker = std::env::temp_dir().join(format!(
        "durable-crashed-{}",
        ctx.execution_arn()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    ));
    let value: String = ctx
        .run_in_child_context("child", |child| async move {
            child
                .step("crashes once", |_| async move {
                    if !marker.exists() {
                        std::fs::write(&marker, b"").expect("the marker");
                        // The case crashes once `StepStarted` is recorded. An at-least-once
                        // step's start is sent while its code runs (as AWS's SDKs send it
                        // from a background thread), so the code works a while first.
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        crash()?;
                    }
                    Ok::<_, Failure>(input)
                })
                .await
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_13(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let inner = input.clone();
    let _: String = ctx
        .run_in_child_context("child", |child| async move {
            child.wait("", Duration::from_secs(1)).await;
            Ok::<_, DurableError>(inner)
        })
        .await?;
    Ok(json!(echo(&ctx, "outer", input).await?))
}

/// An upper-case string: the child context's result serializes through it.
#[lambda_handler(durable)]
async fn child_3_14(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: Uppercase = ctx
        .run_in_child_context("child", |child| async move {
            Ok::<_, DurableError>(Uppercase(echo(&child, "step", input).await?))
        })
        .await?;
    Ok(serde_json::to_value(value).expect("JSON"))
}

#[lambda_handler(durable)]
async fn child_3_15(_event: Value, ctx: DurableContext) -> Outcome {
    let value: String = ctx
        .run_in_child_context("child", |_| async {
            Err::<String, _>(Failure("child failed directly"))
        })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_16(_event: Value, ctx: DurableContext) -> Outcome {
    let value: Option<String> = ctx
        .run_in_child_context("child", |_| async { Ok::<_, Failure>(None) })
        .await?;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_17(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: String = ctx
        .run_in_child_context("child", |_| async move {
            println!("{input}");
            Ok::<_, Failure>(input)
        })
        .await?;
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(json!(value))
}

#[lambda_handler(durable)]
async fn child_3_18(event: Value, ctx: DurableContext) -> Outcome {
    let input = text(&event).to_owned();
    let value: String = ctx
        .run_in_child_context("child", |child| async move {
            let value = echo(&child, "inner", input).await?;
            child.wait("", Duration::from_secs(1)).await;
            Ok::<_, DurableError>(value)
        })
        .await?;
    let value = echo(&ctx, "outer", value).await?;
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(json!(value))
}

// --- callback -----------------------------------------------------------------------------

fn names(event: &Value) -> (String, String) {
    let name = |i: usize| event[i].as_str().unwrap_or_default().to_owned();
    (name(0), name(1))
}

#[lambda_handler(durable)]
async fn callback_4_1(event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<Value>(text(&event), CallbackConfig::new())
        .await?;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_2(_event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<Value>("approval", CallbackConfig::new())
        .await?;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_3(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().timeout(Duration::from_secs(5));
    let callback = ctx.create_callback::<Value>(text(&event), config).await?;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_4(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().heartbeat_timeout(Duration::from_secs(5));
    let callback = ctx.create_callback::<Value>(text(&event), config).await?;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_5(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().heartbeat_timeout(Duration::from_secs(10));
    let callback = ctx.create_callback::<Value>(text(&event), config).await?;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_6(event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<Value>(text(&event), CallbackConfig::new())
        .await?;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_7(event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<Value>(text(&event), CallbackConfig::new())
        .await?;
    echo(&ctx, "between", "work".to_owned()).await?;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_8(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().timeout(Duration::from_secs(5));
    let callback = ctx.create_callback::<Value>(text(&event), config).await?;
    echo(&ctx, "between", "work".to_owned()).await?;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_9(event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<Value>(text(&event), CallbackConfig::new())
        .await?;
    ctx.wait("", Duration::from_secs(5)).await;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_10(event: Value, ctx: DurableContext) -> Outcome {
    callback_4_9(event, ctx).await
}

#[lambda_handler(durable)]
async fn callback_4_11(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().timeout(Duration::from_secs(3));
    let callback = ctx.create_callback::<Value>(text(&event), config).await?;
    ctx.wait("", Duration::from_secs(6)).await;
    callback.result().await
}

#[lambda_handler(durable)]
async fn callback_4_12(event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<Value>(text(&event), CallbackConfig::new())
        .await?;
    let value = callback.result().await?;
    ctx.wait("", Duration::from_secs(2)).await;
    Ok(value)
}

#[lambda_handler(durable)]
async fn callback_4_13(event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<Value>(text(&event), CallbackConfig::new())
        .await?;
    let message = match callback.result().await {
        Ok(value) => value,
        Err(error) => json!(format!("callback failed: {}", error.message())),
    };
    ctx.wait("", Duration::from_secs(2)).await;
    Ok(message)
}

#[lambda_handler(durable)]
async fn callback_4_14(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().timeout(Duration::from_secs(3));
    let callback = ctx.create_callback::<Value>(text(&event), config).await?;
    let message = match callback.result().await {
        Ok(value) => value,
        Err(error) => json!(format!("callback timed out: {}", error.message())),
    };
    ctx.wait("", Duration::from_secs(2)).await;
    Ok(message)
}

/// A message whose timestamp arrives as RFC 3339 text and is kept as Unix seconds: the
/// callback's own deserializer, as Rust writes one (`deserialize_with`).
#[derive(Serialize, Deserialize)]
struct Message {
    id: Value,
    message: String,
    #[serde(deserialize_with = "unix_seconds")]
    timestamp: i64,
}

fn unix_seconds<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = String::deserialize(deserializer)?;
    let number = |range: std::ops::Range<usize>| -> Result<i64, D::Error> {
        text.get(range)
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| serde::de::Error::custom(format!("not RFC 3339: {text}")))
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok(days * 86_400 + hour * 3600 + minute * 60 + second)
}

#[lambda_handler(durable)]
async fn callback_4_15(event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<Message>(text(&event), CallbackConfig::new())
        .await?;
    let message = callback.result().await?;
    Ok(json!({ "received": message }))
}

#[lambda_handler(durable)]
async fn callback_4_16(event: Value, ctx: DurableContext) -> Outcome {
    let callback = ctx
        .create_callback::<u64>(text(&event), CallbackConfig::new())
        .await?;
    let count = callback.result().await?;
    Ok(json!({ "count": count, "doubled": count * 2 }))
}

#[lambda_handler(durable)]
async fn callback_4_17(event: Value, ctx: DurableContext) -> Outcome {
    let (a, b) = names(&event);
    let first = ctx
        .create_callback::<Value>(&a, CallbackConfig::new())
        .await?
        .result()
        .await?;
    let second = ctx
        .create_callback::<Value>(&b, CallbackConfig::new())
        .await?
        .result()
        .await?;
    Ok(json!([first, second]))
}

#[lambda_handler(durable)]
async fn callback_4_18(event: Value, ctx: DurableContext) -> Outcome {
    let (a, b) = names(&event);
    let callback_a = ctx
        .create_callback::<Value>(&a, CallbackConfig::new())
        .await?;
    let callback_b = ctx
        .create_callback::<Value>(&b, CallbackConfig::new())
        .await?;
    let first = callback_a.result().await?;
    let second = callback_b.result().await?;
    Ok(json!([first, second]))
}

#[lambda_handler(durable)]
async fn callback_4_19(event: Value, ctx: DurableContext) -> Outcome {
    let (a, b) = names(&event);
    let callback_a = ctx
        .create_callback::<Value>(&a, CallbackConfig::new())
        .await?;
    let callback_b = ctx
        .create_callback::<Value>(&b, CallbackConfig::new())
        .await?;
    let second = callback_b.result().await?;
    let first = callback_a.result().await?;
    Ok(json!([first, second]))
}

// --- wait_for_callback --------------------------------------------------------------------

/// A submitter that tells nobody: the case's outside system finds the callback in the history.
async fn submit_nothing(_callback_id: String) -> Result<(), Failure> {
    Ok(())
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_1(event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait_for_callback::<Value, _, _, _>(text(&event), CallbackConfig::new(), submit_nothing)
        .await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_2(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait_for_callback::<Value, _, _, _>("approval", CallbackConfig::new(), submit_nothing)
        .await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_3(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait_for_callback::<Value, _, _, _>("", CallbackConfig::new(), |_| async {
        Ok::<_, Failure>(())
    })
    .await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_4(event: Value, ctx: DurableContext) -> Outcome {
    wait_for_callback_7_1(event, ctx).await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_5(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().timeout(Duration::from_secs(3));
    ctx.wait_for_callback::<Value, _, _, _>(text(&event), config, submit_nothing)
        .await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_6(event: Value, ctx: DurableContext) -> Outcome {
    match ctx
        .wait_for_callback::<Value, _, _, _>(text(&event), CallbackConfig::new(), submit_nothing)
        .await
    {
        Ok(value) => Ok(value),
        Err(_) => Ok(json!("recovered")),
    }
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_7(event: Value, ctx: DurableContext) -> Outcome {
    let retry = RetryStrategy::default()
        .max_attempts(2)
        .initial_delay(Duration::from_secs(1))
        .jitter(Jitter::None);
    let config = CallbackConfig::new().submitter_retry(retry);
    ctx.wait_for_callback::<Value, _, _, _>(text(&event), config, |_| async {
        Err::<(), _>(Failure("submitter failed"))
    })
    .await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_8(event: Value, ctx: DurableContext) -> Outcome {
    let name = text(&event).to_owned();
    let value: Value = ctx
        .run_in_child_context("wrapper", |child| async move {
            child
                .wait_for_callback::<Value, _, _, _>(&name, CallbackConfig::new(), submit_nothing)
                .await
        })
        .await?;
    Ok(value)
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_9(_event: Value, ctx: DurableContext) -> Outcome {
    let first: Value = ctx
        .wait_for_callback("first", CallbackConfig::new(), submit_nothing)
        .await?;
    let second: Value = ctx
        .wait_for_callback("second", CallbackConfig::new(), submit_nothing)
        .await?;
    Ok(json!([first, second]))
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_10(event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait("", Duration::from_secs(1)).await;
    echo(&ctx, "fixed data", "data".to_owned()).await?;
    ctx.wait_for_callback::<Value, _, _, _>(text(&event), CallbackConfig::new(), submit_nothing)
        .await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_11(event: Value, ctx: DurableContext) -> Outcome {
    #[derive(Serialize, Deserialize)]
    struct Decision {
        status: String,
    }
    let decision: Decision = ctx
        .wait_for_callback(text(&event), CallbackConfig::new(), submit_nothing)
        .await?;
    Ok(json!(decision.status))
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_12(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().heartbeat_timeout(Duration::from_secs(5));
    ctx.wait_for_callback::<Value, _, _, _>(text(&event), config, submit_nothing)
        .await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_13(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().heartbeat_timeout(Duration::from_secs(10));
    ctx.wait_for_callback::<Value, _, _, _>(text(&event), config, submit_nothing)
        .await
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_14(event: Value, ctx: DurableContext) -> Outcome {
    let config = CallbackConfig::new().timeout(Duration::from_secs(3));
    match ctx
        .wait_for_callback::<Value, _, _, _>(text(&event), config, submit_nothing)
        .await
    {
        Ok(value) => Ok(value),
        Err(_) => Ok(json!("timed-out-handled")),
    }
}

#[lambda_handler(durable)]
async fn wait_for_callback_7_15(event: Value, ctx: DurableContext) -> Outcome {
    wait_for_callback_7_1(event, ctx).await
}

// --- map ----------------------------------------------------------------------------------

fn sequential() -> BatchConfig {
    BatchConfig::new().max_concurrency(1)
}

/// The items' values, in order, or the first failure.
fn values<T: Serialize>(batch: BatchResult<T>) -> Outcome {
    Ok(serde_json::to_value(batch.into_results()?).expect("JSON"))
}

fn summary<T>(batch: &BatchResult<T>) -> Value {
    json!({
        "completionReason": batch.completion_reason,
        "status": batch.status(),
        "successCount": batch.success_count(),
        "failureCount": batch.failure_count(),
        "totalCount": batch.total_count(),
    })
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| (*item).to_owned()).collect()
}

#[lambda_handler(durable)]
async fn map_9_1(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .map(
            "map",
            strings(&["World", "Kiro"]),
            sequential(),
            |item_ctx, item: String, _| async move {
                item_ctx
                    .step("greet", |_| async move {
                        Ok::<_, Failure>(format!("Hello, {item}!"))
                    })
                    .await
            },
        )
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn map_9_2(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .map("", vec![1, 2], sequential(), |_, item: u32, _| async move {
            Ok::<_, Failure>(item * 2)
        })
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn map_9_3(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .map(
            "",
            vec![10, 20, 30],
            sequential(),
            |_, item: usize, index| async move { Ok::<_, Failure>(item + index) },
        )
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn map_9_4(event: Value, ctx: DurableContext) -> Outcome {
    let items: Vec<Value> = serde_json::from_value(event).unwrap_or_default();
    let batch = ctx
        .map("", items, sequential(), |_, item: Value, _| async move {
            Ok::<_, Failure>(item)
        })
        .await?;
    assert_eq!(batch.completion_reason, CompletionReason::AllCompleted);
    values(batch)
}

/// Item `i` of `items` fails when `fails(i)`, else returns "ok".
async fn outcomes(
    ctx: &DurableContext,
    name: &str,
    count: usize,
    config: BatchConfig,
    fails: fn(usize) -> bool,
) -> Result<BatchResult<String>, DurableError> {
    ctx.map(
        name,
        (0..count).collect(),
        config,
        move |_, index: usize, _| async move {
            if fails(index) {
                Err(Failure("item failed"))
            } else {
                Ok("ok".to_owned())
            }
        },
    )
    .await
}

#[lambda_handler(durable)]
async fn map_9_5(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = outcomes(
        &ctx,
        "fail-fast",
        3,
        sequential().tolerated_failure_count(0),
        |i| i == 1,
    )
    .await?;
    Ok(summary(&batch))
}

#[lambda_handler(durable)]
async fn map_9_6(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = outcomes(
        &ctx,
        "fail-fast",
        2,
        sequential().tolerated_failure_count(0),
        |i| i == 0,
    )
    .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn map_9_7(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = outcomes(
        &ctx,
        "min-successful",
        4,
        sequential().min_successful(2),
        |_| false,
    )
    .await?;
    Ok(json!({
        "completionReason": batch.completion_reason,
        "successCount": batch.success_count(),
        "totalCount": batch.total_count(),
    }))
}

#[lambda_handler(durable)]
async fn map_9_8(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = outcomes(
        &ctx,
        "tolerated",
        3,
        sequential().tolerated_failure_count(1),
        |i| i == 1,
    )
    .await?;
    Ok(summary(&batch))
}

#[lambda_handler(durable)]
async fn map_9_9(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = outcomes(
        &ctx,
        "tolerance-exceeded",
        3,
        sequential().tolerated_failure_count(1),
        |i| i < 2,
    )
    .await?;
    let mut summary = summary(&batch);
    summary.as_object_mut().expect("an object").remove("status");
    Ok(summary)
}

#[lambda_handler(durable)]
async fn map_9_10(_event: Value, ctx: DurableContext) -> Outcome {
    let config = sequential().tolerated_failure_percentage(25.0);
    let batch = outcomes(&ctx, "percentage", 4, config, |i| i < 2).await?;
    let mut summary = summary(&batch);
    summary.as_object_mut().expect("an object").remove("status");
    Ok(summary)
}

#[lambda_handler(durable)]
async fn map_9_11(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .map(
            "concurrent",
            vec![0, 1, 2],
            BatchConfig::new().max_concurrency(2),
            |_, item: u32, _| async move { Ok::<_, Failure>(format!("r{item}")) },
        )
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn map_9_13(_event: Value, ctx: DurableContext) -> Outcome {
    let config = sequential().item_name(|index| format!("item-{}", index + 1));
    let batch = ctx
        .map("named", vec![1, 2], config, |_, item: u32, _| async move {
            Ok::<_, Failure>(item * 10)
        })
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn map_9_15(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .map(
            "suspend",
            strings(&["r0", "r1"]),
            sequential(),
            |item_ctx, item: String, index| async move {
                if index == 1 {
                    item_ctx.wait("", Duration::from_secs(1)).await;
                }
                item_ctx
                    .step("result", |_| async move { Ok::<_, Failure>(item) })
                    .await
            },
        )
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn map_9_16(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .map(
            "large",
            vec![0, 1, 2, 3],
            sequential(),
            |_, item: u32, _| async move { Ok::<_, Failure>(item.to_string().repeat(70 * 1024)) },
        )
        .await?;
    Ok(json!({ "successCount": batch.success_count(), "totalCount": batch.total_count() }))
}

#[lambda_handler(durable)]
async fn map_9_17(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .map(
            "then-wait",
            strings(&["a", "b"]),
            sequential(),
            |_, item: String, _| async move { Ok::<_, Failure>(item.to_uppercase()) },
        )
        .await?;
    ctx.wait("", Duration::from_secs(1)).await;
    values(batch)
}

#[lambda_handler(durable)]
async fn map_9_18(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = outcomes(
        &ctx,
        "tolerated-then-wait",
        2,
        sequential().tolerated_failure_count(1),
        |i| i == 1,
    )
    .await?;
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(summary(&batch))
}

// --- parallel -----------------------------------------------------------------------------

/// A branch named `name` that returns `value`, or fails when `value` is `None`.
fn branch<'a>(name: &str, value: Option<Value>) -> ParallelBranch<'a, Value> {
    ParallelBranch::new(name, move |_| async move {
        value.ok_or(Failure("branch failed"))
    })
}

fn branches<'a>(outcomes: &[Option<&str>]) -> Vec<ParallelBranch<'a, Value>> {
    outcomes
        .iter()
        .enumerate()
        .map(|(i, value)| branch(&format!("b{i}"), value.map(|v| json!(v))))
        .collect()
}

#[lambda_handler(durable)]
async fn parallel_8_1(_event: Value, ctx: DurableContext) -> Outcome {
    let tasks = ["task-1", "task-2"]
        .iter()
        .map(|task| {
            ParallelBranch::new("", move |branch_ctx: DurableContext| async move {
                branch_ctx
                    .step("task", |_| async move { Ok::<_, Failure>(json!(task)) })
                    .await
            })
        })
        .collect();
    values(ctx.parallel("parallel", tasks, sequential()).await?)
}

#[lambda_handler(durable)]
async fn parallel_8_2(_event: Value, ctx: DurableContext) -> Outcome {
    values(
        ctx.parallel("", branches(&[Some("alpha"), Some("beta")]), sequential())
            .await?,
    )
}

#[lambda_handler(durable)]
async fn parallel_8_3(_event: Value, ctx: DurableContext) -> Outcome {
    let named = vec![
        branch("first", Some(json!("one"))),
        branch("second", Some(json!("two"))),
    ];
    values(ctx.parallel("named", named, sequential()).await?)
}

#[lambda_handler(durable)]
async fn parallel_8_4(_event: Value, ctx: DurableContext) -> Outcome {
    let hetero = vec![
        branch("", Some(json!("hello"))),
        branch("", Some(json!(42))),
        branch("", Some(json!({"k": "v"}))),
    ];
    values(ctx.parallel("hetero", hetero, sequential()).await?)
}

#[lambda_handler(durable)]
async fn parallel_8_5(_event: Value, ctx: DurableContext) -> Outcome {
    values(ctx.parallel("empty", branches(&[]), sequential()).await?)
}

#[lambda_handler(durable)]
async fn parallel_8_6(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "failfast",
            branches(&[Some("ok"), None, Some("ok")]),
            sequential().tolerated_failure_count(0),
        )
        .await?;
    Ok(summary(&batch))
}

#[lambda_handler(durable)]
async fn parallel_8_7(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "throwing",
            branches(&[None, Some("ok")]),
            sequential().tolerated_failure_count(0),
        )
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn parallel_8_8(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "min-successful",
            branches(&[Some("a"), Some("b"), Some("c"), Some("d")]),
            sequential().min_successful(2),
        )
        .await?;
    Ok(json!({
        "completionReason": batch.completion_reason,
        "successCount": batch.success_count(),
        "totalCount": batch.total_count(),
    }))
}

#[lambda_handler(durable)]
async fn parallel_8_9(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "tolerated",
            branches(&[Some("a"), None, Some("c")]),
            sequential().tolerated_failure_count(1),
        )
        .await?;
    Ok(summary(&batch))
}

fn without_status(batch: &BatchResult<Value>) -> Value {
    let mut summary = summary(batch);
    summary.as_object_mut().expect("an object").remove("status");
    summary
}

#[lambda_handler(durable)]
async fn parallel_8_10(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "tolerated-exceeded",
            branches(&[None, None, Some("c")]),
            sequential().tolerated_failure_count(1),
        )
        .await?;
    Ok(without_status(&batch))
}

#[lambda_handler(durable)]
async fn parallel_8_11(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "concurrent",
            branches(&[Some("r0"), Some("r1"), Some("r2")]),
            BatchConfig::new().max_concurrency(2),
        )
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn parallel_8_13(_event: Value, ctx: DurableContext) -> Outcome {
    let config = sequential().tolerated_failure_percentage(25.0);
    let batch = ctx
        .parallel(
            "tolerated-pct",
            branches(&[None, None, Some("c"), Some("d")]),
            config,
        )
        .await?;
    Ok(without_status(&batch))
}

#[lambda_handler(durable)]
async fn parallel_8_14(_event: Value, ctx: DurableContext) -> Outcome {
    let replay = vec![
        ParallelBranch::new("branch0", |branch_ctx: DurableContext| async move {
            branch_ctx
                .step("b0", |_| async { Ok::<_, Failure>(json!("b0")) })
                .await
        }),
        ParallelBranch::new("branch1", |branch_ctx: DurableContext| async move {
            branch_ctx.wait("", Duration::from_secs(2)).await;
            Ok::<_, Failure>(json!("b1"))
        }),
    ];
    values(ctx.parallel("replay", replay, sequential()).await?)
}

/// A branch's value recorded as `{"wrapped": value}`: the branch's own serialization.
#[derive(Serialize, Deserialize)]
struct Wrapped {
    wrapped: String,
}

#[lambda_handler(durable)]
async fn parallel_8_15(_event: Value, ctx: DurableContext) -> Outcome {
    let serde = ["x", "y"]
        .iter()
        .map(|value| {
            ParallelBranch::new("", move |_| async move {
                Ok::<_, Failure>(Wrapped {
                    wrapped: (*value).to_owned(),
                })
            })
        })
        .collect();
    let batch = ctx.parallel("serde", serde, sequential()).await?;
    let unwrapped: Vec<String> = batch
        .into_results()?
        .into_iter()
        .map(|w| w.wrapped)
        .collect();
    Ok(json!(unwrapped))
}

#[lambda_handler(durable)]
async fn parallel_8_16(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "all-fail",
            branches(&[None, None, None]),
            sequential().tolerated_failure_count(3),
        )
        .await?;
    Ok(summary(&batch))
}

#[lambda_handler(durable)]
async fn parallel_8_17(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "min-not-reached",
            branches(&[Some("a"), None, Some("c")]),
            sequential().min_successful(3),
        )
        .await?;
    Ok(summary(&batch))
}

#[lambda_handler(durable)]
async fn parallel_8_18(_event: Value, ctx: DurableContext) -> Outcome {
    let config = sequential().min_successful(3).tolerated_failure_count(1);
    let batch = ctx
        .parallel(
            "combined",
            branches(&[None, None, Some("c"), Some("d")]),
            config,
        )
        .await?;
    Ok(without_status(&batch))
}

#[lambda_handler(durable)]
async fn parallel_8_19(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "bad-concurrency",
            branches(&[Some("a"), Some("b")]),
            BatchConfig::new().max_concurrency(0),
        )
        .await?;
    values(batch)
}

#[lambda_handler(durable)]
async fn parallel_8_20(_event: Value, ctx: DurableContext) -> Outcome {
    let batch = ctx
        .parallel(
            "accessors",
            branches(&[Some("a"), None, Some("c")]),
            sequential().tolerated_failure_count(1),
        )
        .await?;
    Ok(json!({
        "hasFailure": batch.has_failure(),
        "successCount": batch.succeeded().count(),
        "failureCount": batch.failure_count(),
        "errorCount": batch.errors().count(),
    }))
}

#[lambda_handler(durable)]
async fn parallel_8_21(_event: Value, ctx: DurableContext) -> Outcome {
    let outer = vec![ParallelBranch::new(
        "branchA",
        |branch_ctx: DurableContext| async move {
            let inner = ["i1", "i2"]
                .iter()
                .map(|value| {
                    ParallelBranch::new("", move |inner_ctx: DurableContext| async move {
                        inner_ctx
                            .step("s", |_| async move { Ok::<_, Failure>(json!(value)) })
                            .await
                    })
                })
                .collect();
            let batch = branch_ctx.parallel("inner", inner, sequential()).await?;
            Ok::<_, DurableError>(json!(batch.into_results()?))
        },
    )];
    values(ctx.parallel("outer", outer, sequential()).await?)
}

#[lambda_handler(durable)]
async fn parallel_8_22(_event: Value, ctx: DurableContext) -> Outcome {
    let config = sequential().tolerated_failure_percentage(25.0);
    let batch = ctx
        .parallel(
            "pct-boundary",
            branches(&[None, Some("b"), Some("c"), Some("d")]),
            config,
        )
        .await?;
    Ok(summary(&batch))
}

// --- wait_for_condition -------------------------------------------------------------------

/// Polls every second, without jitter, while `keep_polling` holds.
fn every_second<S>(keep_polling: impl Fn(&S) -> bool + Send + Sync + 'static) -> WaitStrategy<S> {
    WaitStrategy::new(keep_polling)
        .initial_delay(Duration::from_secs(1))
        .backoff_rate(1.0)
        .jitter(Jitter::None)
}

async fn count_to(
    ctx: &DurableContext,
    name: &str,
    from: u64,
    to: u64,
) -> Result<u64, DurableError> {
    ctx.wait_for_condition(
        name,
        from,
        |n, _| async move { Ok::<_, Failure>(n + 1) },
        every_second(move |n: &u64| *n < to),
    )
    .await
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_1(event: Value, ctx: DurableContext) -> Outcome {
    Ok(json!(
        count_to(&ctx, "", 0, event.as_u64().unwrap_or_default()).await?
    ))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_2(event: Value, ctx: DurableContext) -> Outcome {
    let threshold = event.as_u64().unwrap_or_default();
    let state = ctx
        .wait_for_condition(
            "",
            5,
            |n: u64, _| async move { Ok::<_, Failure>(n) },
            every_second(move |n: &u64| *n < threshold),
        )
        .await?;
    Ok(json!(state))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_3(event: Value, ctx: DurableContext) -> Outcome {
    Ok(json!(
        count_to(&ctx, "poll-status", 0, event.as_u64().unwrap_or_default()).await?
    ))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_4(event: Value, ctx: DurableContext) -> Outcome {
    Ok(json!(
        count_to(&ctx, "", 5, event.as_u64().unwrap_or_default()).await?
    ))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_5(event: Value, ctx: DurableContext) -> Outcome {
    let threshold = event.as_u64().unwrap_or_default();
    let fixed = WaitStrategy::new(move |n: &u64| *n < threshold)
        .initial_delay(Duration::from_secs(2))
        .backoff_rate(1.0)
        .jitter(Jitter::None);
    let state = ctx
        .wait_for_condition("", 0, |n, _| async move { Ok::<_, Failure>(n + 1) }, fixed)
        .await?;
    Ok(json!(state))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_6(_event: Value, ctx: DurableContext) -> Outcome {
    let never = every_second(|_: &u64| true).max_attempts(3);
    let state = ctx
        .wait_for_condition("", 0, |n, _| async move { Ok::<_, Failure>(n + 1) }, never)
        .await?;
    Ok(json!(state))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_7(_event: Value, ctx: DurableContext) -> Outcome {
    let state = ctx
        .wait_for_condition(
            "",
            0,
            |_: u64, _| async { Err::<u64, _>(Failure("check failed")) },
            every_second(|_: &u64| true),
        )
        .await?;
    Ok(json!(state))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_8(event: Value, ctx: DurableContext) -> Outcome {
    match wait_for_condition_6_7(event, ctx).await {
        Ok(value) => Ok(value),
        Err(_) => Ok(json!("recovered")),
    }
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_9(_event: Value, ctx: DurableContext) -> Outcome {
    #[derive(Serialize, Deserialize)]
    struct Job {
        status: String,
        attempts: u32,
    }
    let initial = Job {
        status: "PENDING".to_owned(),
        attempts: 0,
    };
    let done = ctx
        .wait_for_condition(
            "",
            initial,
            |job, _| async move {
                let attempts = job.attempts + 1;
                let status = if attempts >= 2 { "DONE" } else { "PENDING" };
                Ok::<_, Failure>(Job {
                    status: status.to_owned(),
                    attempts,
                })
            },
            every_second(|job: &Job| job.status == "PENDING"),
        )
        .await?;
    Ok(serde_json::to_value(done).expect("JSON"))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_10(_event: Value, ctx: DurableContext) -> Outcome {
    let state: Option<u64> = ctx
        .wait_for_condition(
            "",
            Some(1),
            |_, _| async { Ok::<_, Failure>(None) },
            every_second(|_: &Option<u64>| false),
        )
        .await?;
    Ok(json!(state))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_12(event: Value, ctx: DurableContext) -> Outcome {
    let reached = count_to(&ctx, "", 0, event.as_u64().unwrap_or_default()).await?;
    let times_ten: u64 = ctx
        .step(
            "times ten",
            |_| async move { Ok::<_, Failure>(reached * 10) },
        )
        .await?;
    Ok(json!(times_ten))
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_13(_event: Value, ctx: DurableContext) -> Outcome {
    let first = count_to(&ctx, "", 0, 2).await?;
    Ok(json!(count_to(&ctx, "", first, 4).await?))
}

/// A state recorded as `"enc:<text>"` and read back without the prefix: the state's own
/// serialization, round-tripped (the case's custom serdes).
#[derive(Clone)]
struct Encoded(String);

impl Serialize for Encoded {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("enc:{}", self.0))
    }
}

impl<'de> Deserialize<'de> for Encoded {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.strip_prefix("enc:") {
            Some(state) => Ok(Encoded(state.to_owned())),
            None => Err(serde::de::Error::custom(format!(
                "not an encoded state: {text}"
            ))),
        }
    }
}

#[lambda_handler(durable)]
async fn wait_for_condition_6_11(_event: Value, ctx: DurableContext) -> Outcome {
    let state = ctx
        .wait_for_condition(
            "",
            Encoded(String::new()),
            |Encoded(text), _| async move { Ok::<_, Failure>(Encoded(text + "x")) },
            every_second(|Encoded(text): &Encoded| text.len() < 2),
        )
        .await?;
    Ok(json!(state.0))
}

// --- beyond the requirements: replay rules --------------------------------------------------

// --- invoke -------------------------------------------------------------------------------
// The targets are this binary's other handlers: `--serve` serves each by its name, and a
// chained invoke names it.

/// The echo target: answers what it was given.
const ECHO: &str = "invoke_target_echo";
/// The target that fails.
const FAILS: &str = "invoke_target_fails";
/// The target that measures what it was given.
const MEASURES: &str = "invoke_target_measures";

#[lambda_handler(durable)]
async fn invoke_target_echo(event: Value, _ctx: DurableContext) -> Outcome {
    Ok(event)
}

#[lambda_handler(durable)]
async fn invoke_target_fails(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.step_with("fail", no_retry(), |_| async {
        Err::<Value, _>(Failure("the target failed"))
    })
    .await
}

#[lambda_handler(durable)]
async fn invoke_target_measures(event: Value, _ctx: DurableContext) -> Outcome {
    Ok(json!({ "length": text(&event).len() }))
}

#[lambda_handler(durable)]
async fn invoke_5_1(event: Value, ctx: DurableContext) -> Outcome {
    ctx.invoke("", ECHO, &event).await
}

#[lambda_handler(durable)]
async fn invoke_5_2(event: Value, ctx: DurableContext) -> Outcome {
    let name = event["name"].as_str().unwrap_or_default();
    ctx.invoke(name, ECHO, &event["payload"]).await
}

#[lambda_handler(durable)]
async fn invoke_5_3(event: Value, ctx: DurableContext) -> Outcome {
    ctx.invoke("", ECHO, &event).await
}

#[lambda_handler(durable)]
async fn invoke_5_4(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.invoke("", ECHO, &Value::Null).await
}

#[lambda_handler(durable)]
async fn invoke_5_5(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.invoke("", FAILS, &Value::Null).await
}

#[lambda_handler(durable)]
async fn invoke_5_6(_event: Value, ctx: DurableContext) -> Outcome {
    match ctx.invoke::<_, Value>("", FAILS, &Value::Null).await {
        Ok(value) => Ok(value),
        Err(_) => Ok(json!("fallback")),
    }
}

#[lambda_handler(durable)]
async fn invoke_5_7(_event: Value, ctx: DurableContext) -> Outcome {
    // Near the 256 KB a checkpoint carries.
    let large = "x".repeat(200 * 1024);
    ctx.invoke("", MEASURES, &large).await
}

#[lambda_handler(durable)]
async fn invoke_5_8(event: Value, ctx: DurableContext) -> Outcome {
    let tenant = event["tenantId"].as_str().unwrap_or_default();
    let config = InvokeConfig::new().tenant_id(tenant);
    ctx.invoke_with("", ECHO, &event["payload"], config).await
}

#[lambda_handler(durable)]
async fn invoke_5_9(_event: Value, ctx: DurableContext) -> Outcome {
    let value: Value = ctx.invoke("", ECHO, &json!("cached")).await?;
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(value)
}

#[lambda_handler(durable)]
async fn invoke_5_10(_event: Value, ctx: DurableContext) -> Outcome {
    let failed = ctx
        .invoke::<_, Value>("", FAILS, &Value::Null)
        .await
        .is_err();
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(json!({ "caught": failed }))
}

#[lambda_handler(durable)]
async fn invoke_5_11(_event: Value, ctx: DurableContext) -> Outcome {
    let value = echo(&ctx, "", "from the step".to_owned()).await?;
    ctx.invoke("", ECHO, &value).await
}

#[lambda_handler(durable)]
async fn invoke_5_12(_event: Value, ctx: DurableContext) -> Outcome {
    let value: String = ctx.invoke("", ECHO, &json!("invoked")).await?;
    Ok(json!(echo(&ctx, "", value).await?))
}

#[lambda_handler(durable)]
async fn invoke_5_13(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.run_in_child_context("", |child| async move {
        child
            .invoke::<_, Value>("", ECHO, &json!("in the child"))
            .await
    })
    .await
}

#[lambda_handler(durable)]
async fn invoke_5_14(_event: Value, ctx: DurableContext) -> Outcome {
    let first: Value = ctx.invoke("", ECHO, &json!("first")).await?;
    let second: Value = ctx.invoke("", MEASURES, &json!("second")).await?;
    Ok(json!([first, second]))
}

#[lambda_handler(durable)]
async fn invoke_5_15(event: Value, ctx: DurableContext) -> Outcome {
    // The payload's own `Serialize` is its serdes: the target receives it upper-cased.
    let data = Uppercase(event["data"].as_str().unwrap_or_default().to_owned());
    ctx.invoke("", ECHO, &data).await
}

/// The case's custom result serdes: it reads the recorded payload as written (the JSON text,
/// quotes included) and upper-cases it, without parsing it.
struct Shouted(String);

impl<'de> Deserialize<'de> for Shouted {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = <Box<serde_json::value::RawValue>>::deserialize(deserializer)?;
        Ok(Shouted(raw.get().to_uppercase()))
    }
}

impl Serialize for Shouted {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[lambda_handler(durable)]
async fn invoke_5_16(event: Value, ctx: DurableContext) -> Outcome {
    let shouted: Shouted = ctx.invoke("", ECHO, &event).await?;
    Ok(json!(shouted.0))
}

/// Calls a different step on replay than it recorded: the replay must be refused.
#[lambda_handler(durable)]
async fn replays_differently(_event: Value, ctx: DurableContext) -> Outcome {
    let name = if ctx.is_replaying() {
        "charge card"
    } else {
        "reserve stock"
    };
    echo(&ctx, name, "done".to_owned()).await?;
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(json!("unreachable on replay"))
}

/// A step, a wait, then a map whose items each run a step and wait: every replay returns
/// what was recorded, so each step's code runs once over the whole execution. Each run is
/// counted in a file (invocations may run in different processes), and the count is part of
/// the result.
#[lambda_handler(durable)]
async fn runs_each_step_once(_event: Value, ctx: DurableContext) -> Outcome {
    let runs = std::env::temp_dir().join(format!(
        "durable-runs-{}",
        ctx.execution_arn()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    ));
    let count_run = |runs: std::path::PathBuf| {
        use std::io::Write;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(runs)
            .expect("the count");
        file.write_all(b"run\n").expect("the count");
    };
    let first: u32 = ctx
        .step("first", |_| {
            count_run(runs.clone());
            async { Ok::<_, Failure>(1) }
        })
        .await?;
    ctx.wait("", Duration::from_secs(1)).await;
    let batch = ctx
        .map(
            "items",
            vec![0, 1, 2],
            BatchConfig::new(),
            |item_ctx, item: u32, _| {
                let runs = runs.clone();
                async move {
                    let value = item_ctx
                        .step("item", |_| {
                            count_run(runs);
                            async move { Ok::<_, Failure>(item * 10) }
                        })
                        .await?;
                    item_ctx.wait("", Duration::from_secs(1)).await;
                    Ok::<_, DurableError>(value)
                }
            },
        )
        .await?;
    let step_runs = std::fs::read_to_string(&runs)
        .expect("the count")
        .lines()
        .count();
    Ok(json!({ "first": first, "items": batch.into_results()?, "step_runs": step_runs }))
}

/// `is_replaying` as the first invocation sees it after recording a step, kept by a step, and
/// as the second sees it: false, then true.
#[lambda_handler(durable)]
async fn reports_replaying(_event: Value, ctx: DurableContext) -> Outcome {
    echo(&ctx, "first", "done".to_owned()).await?;
    let replaying_now = ctx.is_replaying();
    let first_saw: bool = ctx
        .step("what the first invocation saw", |_| async move {
            Ok::<_, Failure>(replaying_now)
        })
        .await?;
    ctx.wait("", Duration::from_secs(1)).await;
    Ok(json!({ "first_invocation": first_saw, "after_the_wait": ctx.is_replaying() }))
}

/// A function that is not durable, for a chained invoke: one invocation answers it.
#[lambda_handler]
fn plain_greeting(event: Value) -> Value {
    json!(format!("hello {}", text(&event)))
}

/// Invokes a function that is not durable, and one that does not exist.
#[lambda_handler(durable)]
async fn invokes_plain_and_missing(_event: Value, ctx: DurableContext) -> Outcome {
    let plain: Value = ctx.invoke("plain", "plain_greeting", &json!("ada")).await?;
    let missing = ctx
        .invoke::<_, Value>("missing", "no_such_function", &Value::Null)
        .await
        .err()
        .map(|e| json!({ "kind": e.kind(), "type": e.error_type() }));
    Ok(json!({ "plain": plain, "missing": missing }))
}

/// Waits an hour, then answers how long the wait was recorded to be: what `--skip-time`
/// runs at once and `--execution-timeout` cuts short.
#[lambda_handler(durable)]
async fn waits_an_hour(_event: Value, ctx: DurableContext) -> Outcome {
    ctx.wait("an hour", Duration::from_secs(3600)).await;
    Ok(json!("waited"))
}

fn main() {
    lambda_handler::run()
}
