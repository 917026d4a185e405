//! The seed handler on lambda-handler.

use lambda_handler::{Context, lambda_handler};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Name {
    first_name: String,
    last_name: String,
}

#[derive(Serialize)]
struct Greeting {
    message: String,
}

#[lambda_handler]
fn my_handler(event: Name, ctx: &Context) -> Greeting {
    Greeting {
        message: format!("Hello {} {}!", event.first_name, event.last_name),
    }
}

fn main() {
    lambda_handler::run()
}
