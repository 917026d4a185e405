//! What the integration tests share: a Lambda Runtime API server on 127.0.0.1, the handler
//! processes it starts, the binaries they run, and the Python that drives AWS's clients.

mod binary;
mod process;
mod python;
mod runtime_api;

pub use binary::Binary;
pub use process::Handler;
#[cfg(target_os = "linux")]
pub use process::peak_rss_kib;
pub use python::python_venv;
pub use runtime_api::{API, Event, Fault, Received, Route, RuntimeApi};
