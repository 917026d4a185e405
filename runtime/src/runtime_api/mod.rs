//! The Lambda Runtime API, as a runtime speaks it: one keep-alive connection (`client`), what
//! an invocation's headers say (`invocation`), and posting its answer, a response or an error,
//! retried when the connection fails (`delivery`), with bodies that return their buffers
//! (`payload`). Header names come from the protocol crate (`headers`).

pub(crate) mod client;
pub(crate) mod delivery;
pub(crate) mod headers;
pub(crate) mod invocation;
pub(crate) mod payload;
