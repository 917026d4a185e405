//! A handler opts into response streaming by returning `Streaming`, alone or in a `Result`
//! (an `Err` before the stream begins is an ordinary error), sync or async.
use lambda_handler::{Context, Streaming, lambda_handler};

fn chunks(n: u8) -> Streaming {
    let (mut left, mut data) = (n, Vec::new());
    while left > 0 {
        data.push(Ok::<_, std::io::Error>(vec![left]));
        left -= 1;
    }
    Streaming::new(Iter(data.into_iter())).content_type("application/octet-stream")
}

/// A stream without any helper crate.
struct Iter(std::vec::IntoIter<Result<Vec<u8>, std::io::Error>>);

impl futures_core::Stream for Iter {
    type Item = Result<Vec<u8>, std::io::Error>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::task::Poll::Ready(self.0.next())
    }
}

#[lambda_handler]
fn sync_stream(n: u8) -> Streaming {
    chunks(n)
}

#[lambda_handler]
async fn async_stream(n: u8, _ctx: &Context) -> Result<Streaming, std::io::Error> {
    Ok(chunks(n))
}

fn main() {}
