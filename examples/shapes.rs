//! Every return shape a handler may have, and what each sends: a `Result` (written as such or
//! through an alias) is an error when it is `Err`; anything else, even a type named `Result`,
//! is the response.
//!
//! `cargo run --example shapes -- --handler string_error 'false'`

use std::fmt;

use lambda_handler::lambda_handler;
use serde::Serialize;

#[derive(Debug)]
struct MyError(u8);

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused {}", self.0)
    }
}

type Res<T> = Result<T, MyError>;

mod plain {
    /// Not `std::result::Result`: a value like any other.
    #[derive(serde::Serialize)]
    pub struct Result<T> {
        pub ok: T,
    }
}

/// `Result<String, String>` serializes, and is still an error when `Err`.
#[lambda_handler]
fn string_error(event: bool) -> Result<String, String> {
    if event {
        Ok("yes".into())
    } else {
        Err("no".into())
    }
}

/// A user's alias of `Result`.
#[lambda_handler]
fn user_alias(event: u8) -> Res<u8> {
    if event < 10 {
        Ok(event)
    } else {
        Err(MyError(event))
    }
}

/// A standard library alias, async.
#[lambda_handler]
async fn io_alias(event: bool) -> std::io::Result<()> {
    if event {
        Ok(())
    } else {
        Err(std::io::Error::other("disk on fire"))
    }
}

/// A plain type that happens to be called `Result`.
#[lambda_handler]
fn named_result(event: u8) -> plain::Result<u8> {
    plain::Result { ok: event }
}

/// Only a handler's own `Result` is an error: one inside a value is data.
#[lambda_handler]
fn nested_result(event: bool) -> Option<Result<u8, String>> {
    Some(if event { Ok(1) } else { Err("data".into()) })
}

/// `None` sends `null`.
#[lambda_handler]
fn maybe(event: Option<u8>) -> Option<u8> {
    event.map(|n| n * 2)
}

/// An opaque `impl Serialize`.
#[lambda_handler]
fn opaque(event: Vec<u8>) -> impl Serialize {
    event.len()
}

fn main() {
    lambda_handler::run()
}
