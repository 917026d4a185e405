//! Two futures raced: the one that finishes first, the other dropped.

use std::future::Future;
use std::task::Poll;

/// Which of two futures finished first.
pub(crate) enum First<A, B> {
    A(A),
    B(B),
}

/// Polls `a` and then `b` until one finishes.
pub(crate) async fn first<A: Future, B: Future>(a: A, b: B) -> First<A::Output, B::Output> {
    let (mut a, mut b) = (std::pin::pin!(a), std::pin::pin!(b));
    std::future::poll_fn(|cx| {
        if let Poll::Ready(done) = a.as_mut().poll(cx) {
            return Poll::Ready(First::A(done));
        }
        b.as_mut().poll(cx).map(First::B)
    })
    .await
}
