// The seed handler compiles, and stays an ordinary function a unit test can call.
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
    Greeting { message: format!("Hello {} {}!", event.first_name, event.last_name) }
}

fn main() {
    let event = Name { first_name: "Ada".into(), last_name: "Lovelace".into() };
    let greeting = my_handler(event, &Context::default());
    assert_eq!(greeting.message, "Hello Ada Lovelace!");
}
