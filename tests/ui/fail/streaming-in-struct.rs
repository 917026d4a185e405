//! A stream is the whole response: a struct cannot carry one alongside other fields.
use lambda_handler::{Streaming, lambda_handler};

struct Page {
    title: String,
    body: Streaming,
}

fn render(_title: &str) -> Streaming {
    unimplemented!("the page's rows")
}

#[lambda_handler]
fn page(title: String) -> Page {
    let body = render(&title);
    Page { title, body }
}

fn main() {}
