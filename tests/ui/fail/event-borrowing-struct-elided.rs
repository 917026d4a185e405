use lambda_handler::lambda_handler;
use serde::Deserialize;

#[derive(Deserialize)]
struct Name<'a> {
    first_name: &'a str,
}

#[lambda_handler]
fn handler(event: Name) -> String {
    event.first_name.to_owned()
}

fn main() {}
