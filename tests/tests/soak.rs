//! Lambda reuses the process: nothing may pile up from one invocation to the next.

use std::time::Duration;

use lambda_handler_tests::{Event, RuntimeApi};

const HELLO: &str = env!("CARGO_BIN_EXE_hello");

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn serve(api: &RuntimeApi, from: usize, to: usize) {
    for i in from..to {
        let event = format!(r#"{{"first_name":"Ada{i}","last_name":"Lovelace"}}"#);
        api.push(Event::new(format!("soak-{i}"), event));
    }
    // The count is of every answer accepted since the start.
    let answers = api.wait_for_accepted(to, Duration::from_secs(300));
    assert_eq!(answers.len(), to - from);
    let last = answers.last().unwrap();
    assert_eq!(
        last.json()["message"],
        format!("Hello Ada{} Lovelace!", to - 1)
    );
    api.clear_received();
}

#[test]
fn memory_stays_flat_over_100000_invocations() {
    let api = RuntimeApi::start();
    let hello = api.spawn(HELLO, &[]);
    // The first invocations warm up the allocator and the connection's buffers.
    serve(&api, 0, 10_000);
    let warm = rss_kib(hello.pid());
    serve(&api, 10_000, 100_000);
    let after = rss_kib(hello.pid());
    eprintln!("RSS after 10,000 invocations: {warm} KiB; after 100,000: {after} KiB");
    assert!(
        after <= warm + 256,
        "RSS grew from {warm} KiB to {after} KiB over 90,000 invocations"
    );
    assert_eq!(api.connections(), 1);
}

/// Page faults the process has taken so far (`minflt`, field 10 of `/proc/PID/stat`).
fn minor_faults(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[7].parse().unwrap()
}

/// Page faults per invocation of `hello` over ten 1 MiB events, once it is warm.
fn faults_per_large_invocation(env: &[(&str, &str)]) -> u64 {
    let api = RuntimeApi::start();
    let hello = api.spawn(HELLO, env);
    let name = "a".repeat(1 << 20);
    let event = format!(r#"{{"first_name":"{name}","last_name":"Lovelace"}}"#);
    let push = |from: usize, to: usize| {
        for i in from..to {
            api.push(Event::new(format!("large-{i}"), event.as_str()));
        }
        let answers = api.wait_for_accepted(to, Duration::from_secs(120));
        let message = answers.last().unwrap().json()["message"].clone();
        assert_eq!(message.as_str().map(str::len), Some(name.len() + 16));
        api.clear_received();
    };
    push(0, 3);
    let warm = minor_faults(hello.pid());
    push(3, 13);
    let faults = (minor_faults(hello.pid()) - warm) / 10;
    eprintln!("{env:?}: {faults} page faults per 1 MiB invocation");
    faults
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn large_events_reuse_freed_memory_unless_malloc_is_configured() {
    // A 1 MiB event and its 1 MiB greeting are 256 pages each.
    let kept = faults_per_large_invocation(&[]);
    assert!(
        kept < 64,
        "{kept} page faults per 1 MiB invocation: freed memory went back to the kernel"
    );
    // glibc's defaults, set by the user: their setting wins, and the pages fault in again.
    let returned = faults_per_large_invocation(&[
        ("MALLOC_MMAP_THRESHOLD_", "131072"),
        ("MALLOC_TRIM_THRESHOLD_", "131072"),
    ]);
    assert!(
        returned >= 256,
        "{returned} page faults per 1 MiB invocation with glibc's thresholds"
    );
}
