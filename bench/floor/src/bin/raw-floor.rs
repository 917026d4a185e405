//! The per-invocation floor: a raw keep-alive loop of `GET next` / `POST response`.
fn main() {
    bench_floor::serve()
}
