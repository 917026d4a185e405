use lambda_handler::lambda_handler;
use serde::de::DeserializeOwned;

#[lambda_handler]
fn handler<T: DeserializeOwned>(_event: T) -> String {
    String::new()
}

fn main() {}
