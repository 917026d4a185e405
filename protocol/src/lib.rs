//! The facts of AWS Lambda's Runtime API and Invoke API, written once: the limits, header
//! names, paths, error types, the identifiers Lambda generates, and how the Runtime API
//! answers (taken from AWS's Runtime Interface Emulator, `rapid`, and the Runtime API's
//! OpenAPI spec). `lambda-handler`'s runtime, its local emulator and its test servers all use
//! these definitions, so that a fake cannot drift from what the runtime expects.
//!
//! Not a public API of `lambda-handler`: it changes with the crates that share it.

#![warn(missing_docs, unreachable_pub)]

pub mod durable;
pub mod env;
pub mod error_types;
pub mod headers;
pub mod ids;
pub mod limits;
pub mod log_format;
pub mod paths;
pub mod rapid;
