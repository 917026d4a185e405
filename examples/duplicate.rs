//! Two handlers under one name: the binary refuses to start (`Runtime.DuplicateHandler`).

use lambda_handler::lambda_handler;

#[lambda_handler(name = "greet")]
fn hello(event: String) -> String {
    format!("hello {event}")
}

#[lambda_handler(name = "greet")]
fn hi(event: String) -> String {
    format!("hi {event}")
}

fn main() {
    lambda_handler::run()
}
