//! A stream is the whole response: it cannot sit inside a value that is serialized.
use lambda_handler::{Streaming, lambda_handler};

#[lambda_handler]
fn maybe_stream(stream: bool) -> Option<Streaming> {
    let _ = stream;
    None
}

fn main() {}
