//! Request and trace ids, unique enough for one machine, without a random-number dependency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

fn mixed() -> (u64, u64) {
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    let seed = nanos ^ u64::from(std::process::id()).rotate_left(40) ^ count.rotate_left(20);
    let a = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let b = (a ^ (a >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (a, b ^ count)
}

/// A UUID-shaped request id, as Lambda's.
pub(crate) fn request_id() -> String {
    let (a, b) = mixed();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// An X-Ray trace header, as Lambda sends in `Lambda-Runtime-Trace-Id`.
pub(crate) fn trace_id() -> String {
    let (a, b) = mixed();
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "Root=1-{secs:08x}-{a:016x}{:08x};Parent={b:016x};Sampled=0",
        b >> 32
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_well_formed_and_distinct() {
        let (a, b) = (super::request_id(), super::request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-'));
        assert!(super::trace_id().starts_with("Root=1-"));
    }
}
