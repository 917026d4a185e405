//! One durable handler per case of AWS's durable-execution conformance requirements
//! (`aws-durable-execution-conformance-tests`, fetched by `tests/durable.rs` at test time),
//! written here from each case's `handler` and `invocations` text, as each AWS SDK's own
//! repository writes them. `_HANDLER` picks the case: `step_1_1` is `step/1-1.yaml`.

use std::fmt;
use std::time::Duration;

use lambda_handler::durable::{
    DurableContext, DurableError, Jitter, RetryStrategy, StepConfig, StepSemantics,
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

fn main() {
    lambda_handler::run()
}
