//! `lambda_handler::testing`, used as a user's own tests use it: handlers defined right here,
//! invoked in process through the same decode, call and encode as on Lambda.

use std::sync::atomic::{AtomicU32, Ordering};

use lambda_handler::testing::TestHandler;
use lambda_handler::{Context, InvocationError, lambda_handler};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize)]
struct Order {
    id: u32,
    quantity: u32,
}

#[derive(Serialize)]
struct Receipt {
    id: u32,
    total_cents: u64,
    request_id: String,
}

static BUILDS: AtomicU32 = AtomicU32::new(0);

struct Prices {
    cents: u64,
}

async fn load_prices() -> Result<Prices, std::num::ParseIntError> {
    BUILDS.fetch_add(1, Ordering::SeqCst);
    Ok(Prices {
        cents: "250".parse()?,
    })
}

#[lambda_handler(init = load_prices)]
async fn checkout(order: Order, ctx: &Context, prices: &Prices) -> Result<Receipt, String> {
    if order.quantity == 0 {
        return Err(format!("order {} is empty", order.id));
    }
    Ok(Receipt {
        id: order.id,
        total_cents: prices.cents * u64::from(order.quantity),
        request_id: ctx.request_id.clone(),
    })
}

#[lambda_handler]
fn big(event: usize) -> String {
    "x".repeat(event)
}

#[test]
fn a_handler_is_invoked_as_lambda_invokes_it() {
    let mut checkout = TestHandler::new(checkout).unwrap();
    let mut ctx = checkout.context();
    ctx.request_id = "req-1".into();
    assert_eq!(
        checkout.invoke_with(json!({"id": 7, "quantity": 3}), &ctx),
        Ok(json!({"id": 7, "total_cents": 750, "request_id": "req-1"}))
    );
    // Its error, as Lambda reports it.
    let error = checkout
        .invoke(json!({"id": 8, "quantity": 0}))
        .unwrap_err();
    assert_eq!(
        (error.error_type.as_str(), error.error_message.as_str()),
        ("String", "order 8 is empty")
    );
    // The event decodes as on Lambda: a mismatch names the field.
    let error = checkout.invoke(json!({"id": "seven"})).unwrap_err();
    assert_eq!(error.error_type, "Runtime.UnmarshalError");
    assert!(
        error.error_message.contains("at `id`"),
        "{}",
        error.error_message
    );
    // The init ran once, for this handler, however often it is invoked.
    for _ in 0..10 {
        checkout.invoke(json!({"id": 1, "quantity": 1})).unwrap();
    }
    assert_eq!(BUILDS.load(Ordering::SeqCst), 1);
}

#[test]
fn the_bytes_and_the_limits_are_lambdas() {
    let mut big = TestHandler::new(big).unwrap();
    let ctx = big.context();
    assert_eq!(
        big.invoke_bytes(b"3".to_vec(), &ctx),
        Ok(b"\"xxx\"".to_vec())
    );
    // A response over Lambda's limit is the error Lambda's caller would see.
    let over = lambda_handler_protocol::limits::MAX_RESPONSE - 1;
    let error: InvocationError = big.invoke(json!(over)).unwrap_err();
    assert_eq!(error.error_type, "Function.ResponseSizeTooLarge");
    // By name, too; a name or a function that is no handler is Lambda's start-up error.
    assert!(TestHandler::named("big").is_ok());
    let unknown = TestHandler::named("nope").unwrap_err();
    assert_eq!(unknown.error_type, "Runtime.HandlerNotFound");
    fn not_a_handler(_: u8) {}
    let unknown = TestHandler::new(not_a_handler).unwrap_err();
    assert_eq!(unknown.error_type, "Runtime.HandlerNotFound");
    assert!(
        unknown.error_message.contains("not_a_handler"),
        "{unknown:?}"
    );
}

/// A streamed response, run to its end and joined; an error mid-stream is the invocation's.
#[lambda_handler]
fn countdown(from: u8) -> lambda_handler::Streaming {
    let chunks = (0..=from).rev().map(move |n| match n {
        13 => Err(format!("{n} is unlucky")),
        n => Ok(format!("{n} ")),
    });
    lambda_handler::Streaming::new(Chunks(chunks.collect::<Vec<_>>().into_iter()))
}

/// A stream without a helper crate.
struct Chunks(std::vec::IntoIter<Result<String, String>>);

impl futures_core::Stream for Chunks {
    type Item = Result<String, String>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

#[test]
fn a_streamed_response_is_joined_and_its_error_reported() {
    let mut countdown = TestHandler::new(countdown).unwrap();
    let ctx = countdown.context();
    assert_eq!(
        countdown.invoke_bytes(b"3".to_vec(), &ctx).unwrap(),
        b"3 2 1 0 "
    );
    let error = countdown.invoke_bytes(b"15".to_vec(), &ctx).unwrap_err();
    assert_eq!(error.error_type, "String");
    assert_eq!(error.error_message, "13 is unlucky");
}

/// A stream that panics after its first chunk.
struct PanicsAfterOne(bool);

impl futures_core::Stream for PanicsAfterOne {
    type Item = Result<&'static str, String>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        assert!(
            !std::mem::replace(&mut self.0, true),
            "the source went away"
        );
        std::task::Poll::Ready(Some(Ok("first ")))
    }
}

#[lambda_handler]
fn panics_midway(_event: serde_json::Value) -> lambda_handler::Streaming {
    lambda_handler::Streaming::new(PanicsAfterOne(false))
}

#[test]
fn a_panic_in_a_stream_is_the_invocations_error() {
    let mut handler = TestHandler::new(panics_midway).unwrap();
    let error = handler.invoke(json!({})).unwrap_err();
    assert_eq!(error.error_type, "Runtime.Panic");
    assert!(
        error.error_message.contains("the source went away"),
        "{error:?}"
    );
}

/// A handler whose `init` reads the environment, as most do.
struct Table {
    name: String,
}

fn open_table() -> Result<Table, std::env::VarError> {
    Ok(Table {
        name: std::env::var("TABLE_NAME")?,
    })
}

#[lambda_handler(init = open_table)]
fn describe(_event: serde_json::Value, table: &Table) -> String {
    table.name.clone()
}

/// Tests give the state directly, so that they run in parallel with no variable to set: the
/// init is not run (here it would fail, `TABLE_NAME` being unset).
#[test]
fn a_test_gives_the_state_its_init_would_build() {
    let threads: Vec<_> = (0..8)
        .map(|i| {
            std::thread::spawn(move || {
                let table = Table {
                    name: format!("orders-{i}"),
                };
                let mut describe = TestHandler::with_state(describe, table).unwrap();
                describe.invoke(json!({})).unwrap()
            })
        })
        .collect();
    for (i, thread) in threads.into_iter().enumerate() {
        assert_eq!(thread.join().unwrap(), json!(format!("orders-{i}")));
    }
    // The init runs when no state is given: here it fails, as it would on Lambda.
    let error = TestHandler::new(describe).unwrap_err();
    assert_eq!(error.error_type, "VarError");
    // A state of another type, or for a handler without `init`, is refused.
    let mismatch = TestHandler::with_state(describe, 42u8).unwrap_err();
    assert_eq!(mismatch.error_type, "Runtime.StateMismatch");
    let mismatch = TestHandler::with_state(big, Table { name: "x".into() }).unwrap_err();
    assert_eq!(mismatch.error_type, "Runtime.StateMismatch");
}

/// Inside a tokio runtime, `TestHandler` says so instead of panicking, and it can be printed.
#[test]
fn inside_a_tokio_runtime_the_error_says_what_to_write() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let error = runtime.block_on(async { TestHandler::new(big).unwrap_err() });
    assert_eq!(error.error_type, "Runtime.NestedRuntime");
    assert!(error.error_message.contains("#[test]"), "{error:?}");
    let handler = TestHandler::new(big).unwrap();
    assert!(format!("{handler:?}").contains("\"big\""), "{handler:?}");
}

/// A streamed JSON response reads as JSON; any streamed response reads as its chunks.
#[lambda_handler]
fn json_lines(count: u8) -> lambda_handler::Streaming {
    let chunks = (0..count).map(|n| Ok(format!("{{\"n\":{n}}}\n")));
    lambda_handler::Streaming::new(Chunks(chunks.collect::<Vec<_>>().into_iter()))
}

#[test]
fn a_streamed_response_reads_as_json_or_as_its_chunks() {
    let mut lines = TestHandler::new(json_lines).unwrap();
    assert_eq!(lines.invoke(json!(1)), Ok(json!({"n": 0})));
    let chunks = lines.invoke_stream(json!(3)).unwrap();
    assert_eq!(
        chunks,
        [&b"{\"n\":0}\n"[..], b"{\"n\":1}\n", b"{\"n\":2}\n"]
    );
    // A buffered response is one chunk.
    let mut big = TestHandler::new(big).unwrap();
    assert_eq!(big.invoke_stream(json!(2)).unwrap(), [b"\"xx\"".to_vec()]);
}
