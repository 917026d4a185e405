//! The seed handler on awslabs' lambda_runtime, as its README writes one.

use lambda_runtime::{Error, LambdaEvent, service_fn};
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

async fn my_handler(event: LambdaEvent<Name>) -> Result<Greeting, Error> {
    let name = event.payload;
    let message = format!("Hello {} {}!", name.first_name, name.last_name);
    Ok(Greeting {
        message: match name.repeat {
            Some(times) => message.repeat(times),
            None => message,
        },
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(my_handler)).await
}
