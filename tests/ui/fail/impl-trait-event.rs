use lambda_handler::lambda_handler;

#[lambda_handler]
fn handler(_event: impl serde::de::DeserializeOwned) -> String {
    String::new()
}

fn main() {}
