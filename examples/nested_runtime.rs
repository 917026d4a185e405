//! The trap lambda_runtime users fall into: `run()` inside `#[tokio::main]`. It does not panic:
//! it says to write `run_async().await`, reports that to Lambda as the init error, and exits.

use lambda_handler::lambda_handler;

#[lambda_handler]
fn echo(event: String) -> String {
    event
}

#[tokio::main]
async fn main() {
    lambda_handler::run()
}
