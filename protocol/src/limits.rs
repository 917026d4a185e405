//! Sizes and times Lambda enforces.

use std::time::Duration;

/// The largest response (or error) body the Runtime API takes: rapid's
/// `interop.MaxPayloadSize`, 6 MiB + 100 bytes, as Lambda's own error message states it.
pub const MAX_RESPONSE: usize = 6 * 1024 * 1024 + 100;

/// The largest streamed response (`Lambda-Runtime-Function-Response-Mode: streaming`):
/// 200 MiB since Lambda raised it from 20 MiB in 2025 (the soft limit of response streaming).
pub const MAX_STREAMED_RESPONSE: usize = 200 * 1024 * 1024;

/// The largest payload of a synchronous (`RequestResponse`) invocation (Invoke API).
pub const MAX_SYNC_PAYLOAD: usize = 6_291_456;

/// The largest payload of an asynchronous (`Event`) invocation (Invoke API).
pub const MAX_ASYNC_PAYLOAD: usize = 1_048_576;

/// The most of an event body a runtime reads into memory: Lambda never sends more than
/// [`MAX_SYNC_PAYLOAD`]; the rest is headroom for emulators.
pub const MAX_EVENT: usize = 8 << 20;

/// The largest result one durable-execution checkpoint records for an operation (256 KB,
/// the durable functions quota; AWS's SDKs replay a child context's children rather than
/// record a larger result).
pub const MAX_CHECKPOINT_PAYLOAD: usize = 256 * 1024;

/// Lambda's default function timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// Lambda's longest function timeout (15 minutes).
pub const MAX_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// How long Lambda lets a cold start initialize before it counts as timed out.
pub const INIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a runtime's shutdown hook may run after SIGTERM: Lambda's shutdown phase allows
/// 500 ms when only internal extensions are registered (2,000 ms with external ones, which
/// share it), then sends SIGKILL.
pub const SHUTDOWN_BUDGET: Duration = Duration::from_millis(500);

#[cfg(test)]
mod tests {
    use super::*;

    /// Each limit as Lambda states it, in bytes and seconds, so that a slip in the arithmetic
    /// above is caught.
    #[test]
    fn limits_are_lambdas_figures() {
        assert_eq!(MAX_RESPONSE, 6_291_556);
        assert_eq!(MAX_STREAMED_RESPONSE, 209_715_200);
        assert_eq!(MAX_SYNC_PAYLOAD, 6 * 1024 * 1024);
        assert_eq!(MAX_ASYNC_PAYLOAD, 1024 * 1024);
        assert_eq!(MAX_EVENT, 8_388_608);
        const { assert!(MAX_EVENT > MAX_SYNC_PAYLOAD) };
        assert_eq!(DEFAULT_TIMEOUT.as_secs(), 3);
        assert_eq!(MAX_TIMEOUT.as_secs(), 900);
        assert_eq!(INIT_TIMEOUT.as_secs(), 10);
        assert_eq!(SHUTDOWN_BUDGET.as_millis(), 500);
    }
}
