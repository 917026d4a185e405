//! The per-invocation floor: a raw keep-alive loop of `GET next` / `POST response` (one per
//! `AWS_LAMBDA_MAX_CONCURRENCY`, a thread each).
fn main() {
    bench_floor::serve_concurrently()
}
