// `Result<R, E>` for any `E: Display`, and the aliases users write.
use lambda_handler::lambda_handler;
use std::fmt;

#[derive(Debug)]
struct MyError;

impl fmt::Display for MyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("my error")
    }
}

type Res<T> = Result<T, MyError>;

mod alias {
    pub type Result<T> = std::result::Result<T, super::MyError>;
}

#[lambda_handler]
fn own_error(event: u8) -> Result<u8, MyError> {
    Ok(event)
}

#[lambda_handler]
fn boxed_error(event: u8) -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    Ok(event)
}

#[lambda_handler]
fn anyhow_error(event: u8) -> Result<u8, anyhow::Error> {
    Ok(event)
}

#[lambda_handler]
fn anyhow_result(event: u8) -> anyhow::Result<u8> {
    Ok(event)
}

#[lambda_handler]
fn io_result(event: u8) -> std::io::Result<u8> {
    Ok(event)
}

#[lambda_handler]
fn user_alias(event: u8) -> Res<u8> {
    Ok(event)
}

#[lambda_handler]
fn module_alias(_event: u8) -> alias::Result<()> {
    Ok(())
}

#[lambda_handler]
fn string_error(event: u8) -> Result<String, String> {
    Err(event.to_string())
}

#[lambda_handler]
async fn async_result(event: u8) -> anyhow::Result<Option<u8>> {
    Ok(Some(event))
}

fn main() {}
