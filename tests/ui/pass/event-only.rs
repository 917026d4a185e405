// A handler may leave out the context, sync or async.
use lambda_handler::lambda_handler;

#[lambda_handler]
fn upper(event: String) -> String {
    event.to_uppercase()
}

#[lambda_handler]
async fn lower(event: String) -> String {
    event.to_lowercase()
}

fn main() {
    assert_eq!(upper("a".into()), "A");
}
