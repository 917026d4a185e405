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
