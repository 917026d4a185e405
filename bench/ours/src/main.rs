//! The seed handler on lambda-handler.

use lambda_handler::{Context, lambda_handler};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Name {
    first_name: String,
    last_name: String,
    /// The bench's large answer: the greeting this many times over (the seed event has none).
    #[serde(default)]
    repeat: Option<usize>,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
}

#[lambda_handler]
fn my_handler(event: Name, ctx: &Context) -> Greeting {
    let message = format!("Hello {} {}!", event.first_name, event.last_name);
    Greeting {
        message: match event.repeat {
            Some(times) => message.repeat(times),
            None => message,
        },
    }
}

fn main() {
    lambda_handler::run()
}
