//! Runnable examples live under `examples/`; this library is empty.
