//! Request ids and X-Ray trace headers shaped as Lambda's, unique enough for one machine,
//! without a random-number dependency.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Two well-mixed words, different on every call in this process and across processes.
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

/// A version-4-UUID-shaped request id, as Lambda's `Lambda-Runtime-Aws-Request-Id`.
pub fn request_id() -> String {
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

/// An X-Ray trace header, as Lambda sends a new one with every invocation in
/// `Lambda-Runtime-Trace-Id`: `Root=1-{epoch seconds}-{96 bits};Parent={64 bits};Sampled=0`.
pub fn trace_id() -> String {
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
    use std::collections::HashSet;

    #[test]
    fn ids_are_well_formed_and_distinct() {
        let ids: HashSet<String> = (0..10_000).map(|_| super::request_id()).collect();
        assert_eq!(ids.len(), 10_000);
        for id in ids.iter().take(100) {
            assert_eq!(id.len(), 36);
            assert!(
                id.bytes().all(|c| c.is_ascii_hexdigit() || c == b'-'),
                "{id}"
            );
        }
        let traces: HashSet<String> = (0..10_000).map(|_| super::trace_id()).collect();
        assert_eq!(traces.len(), 10_000);
        let trace = traces.iter().next().unwrap();
        assert!(
            trace.starts_with("Root=1-") && trace.ends_with(";Sampled=0"),
            "{trace}"
        );
        assert_eq!(
            trace.len(),
            "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0".len()
        );
    }

    /// Every bit of a request id that is not its UUID version or variant is set about half the
    /// time, over consecutive ids of one process: ids that differ only in a counter's few bits
    /// would collide with another process's far more often than random ones.
    #[test]
    fn request_id_bits_are_balanced() {
        const N: u32 = 4_000;
        let mut set = [0u32; 128];
        for _ in 0..N {
            let hex: String = super::request_id().chars().filter(|c| *c != '-').collect();
            let id = u128::from_str_radix(&hex, 16).unwrap();
            for (bit, count) in set.iter_mut().enumerate() {
                *count += (id >> bit) as u32 & 1;
            }
        }
        // The version nibble (`4`, bits 76..80) and the variant's two bits (`10`, 62 and 63).
        let fixed = |bit: usize| (76..80).contains(&bit) || bit == 62 || bit == 63;
        for (bit, count) in set.iter().enumerate().filter(|(bit, _)| !fixed(*bit)) {
            // Half, within 12 standard deviations (0.8% each at 4,000 ids).
            assert!(
                (N * 2 / 5..=N * 3 / 5).contains(count),
                "bit {bit} set in {count} of {N} ids"
            );
        }
    }
}
