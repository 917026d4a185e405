//! The invocation loops: `next`, invoke, answer, until Lambda ends the environment. One loop
//! (`event_loop`), or as many as `AWS_LAMBDA_MAX_CONCURRENCY` asks for (`concurrent`), chosen by
//! `serving`; what they keep in the process between invocations (`trace_env`, `heap`); and how
//! they end on SIGTERM (`shutdown`).

pub(crate) mod concurrent;
pub(crate) mod event_loop;
pub(crate) mod heap;
pub(crate) mod serving;
pub(crate) mod shutdown;
pub(crate) mod trace_env;
