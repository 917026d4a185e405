//! Lambda reuses the process: nothing may pile up from one invocation to the next. Every
//! invocation brings a new request id and a new trace id (the test server sends a new one each
//! time, as Lambda does), so state kept per distinct value would show here.
#![cfg(target_os = "linux")]

use std::time::Duration;

use lambda_handler_tests::{Binary, Event, RuntimeApi, peak_rss_kib};

static HELLO: Binary = Binary::example("hello");

fn serve(api: &RuntimeApi, from: usize, to: usize) {
    for i in from..to {
        let event = format!(r#"{{"first_name":"Ada{i}","last_name":"Lovelace"}}"#);
        api.push(Event::new(format!("soak-{i}"), event));
    }
    // The count is of every answer accepted since the start.
    let answers = api.wait_for_accepted(to, Duration::from_secs(600));
    assert_eq!(answers.len(), to - from);
    let last = answers.last().unwrap();
    assert_eq!(
        last.json()["message"],
        format!("Hello Ada{} Lovelace!", to - 1)
    );
    api.clear_received();
}

#[test]
fn peak_memory_stays_flat_over_200000_invocations_with_new_trace_ids() {
    let api = RuntimeApi::start();
    let hello = api.spawn(HELLO.path(), &[]);
    // The first invocations warm up the allocator and the connection's buffers.
    serve(&api, 0, 10_000);
    let warm = peak_rss_kib(hello.pid());
    serve(&api, 10_000, 200_000);
    let after = peak_rss_kib(hello.pid());
    eprintln!("peak RSS after 10,000 invocations: {warm} KiB; after 200,000: {after} KiB");
    // glibc's `setenv` kept every trace id it was given: +48 MB here before the runtime set
    // `_X_AMZN_TRACE_ID` in place.
    assert!(
        after <= warm + 256,
        "the peak RSS grew from {warm} KiB to {after} KiB over 190,000 invocations"
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

/// What `hello` costs for 1 MiB events, in memory.
struct LargeEvents {
    /// Growth of the peak resident set (KiB) from one small invocation to three 1 MiB ones.
    peak_growth_kib: u64,
    /// Page faults per invocation over ten more, once warm.
    faults_per_invocation: u64,
}

fn large_events(env: &[(&str, &str)]) -> LargeEvents {
    let api = RuntimeApi::start();
    let hello = api.spawn(HELLO.path(), env);
    let name = "a".repeat(1 << 20);
    let event = format!(r#"{{"first_name":"{name}","last_name":"Lovelace"}}"#);
    let push = |from: usize, to: usize, body: &str| {
        for i in from..to {
            api.push(Event::new(format!("event-{i}"), body));
        }
        let answers = api.wait_for_accepted(to, Duration::from_secs(120));
        let message = answers.last().unwrap().json()["message"].clone();
        assert!(message.as_str().unwrap().starts_with("Hello "));
        api.clear_received();
    };
    push(0, 1, r#"{"first_name":"Ada","last_name":"Lovelace"}"#);
    let small = peak_rss_kib(hello.pid());
    push(1, 4, &event);
    let peak_growth_kib = peak_rss_kib(hello.pid()) - small;
    let warm = minor_faults(hello.pid());
    push(4, 14, &event);
    let faults_per_invocation = (minor_faults(hello.pid()) - warm) / 10;
    eprintln!(
        "{env:?}: peak grew {peak_growth_kib} KiB; {faults_per_invocation} page faults per 1 MiB invocation"
    );
    LargeEvents {
        peak_growth_kib,
        faults_per_invocation,
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn large_events_reuse_freed_memory_unless_malloc_is_configured() {
    // A 1 MiB event and its 1 MiB greeting are 256 pages each.
    let kept = large_events(&[]).faults_per_invocation;
    assert!(
        kept < 64,
        "{kept} page faults per 1 MiB invocation: freed memory went back to the kernel"
    );
    // glibc's defaults, set by the user (as variables, or as tunables): their setting wins,
    // and the pages fault in again.
    let variables = [
        ("MALLOC_MMAP_THRESHOLD_", "131072"),
        ("MALLOC_TRIM_THRESHOLD_", "131072"),
    ];
    let tunables = [(
        "GLIBC_TUNABLES",
        "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072",
    )];
    for env in [&variables[..], &tunables[..]] {
        let returned = large_events(env).faults_per_invocation;
        assert!(
            returned >= 256,
            "{returned} page faults per 1 MiB invocation with {env:?}"
        );
    }
}

#[test]
fn a_large_response_is_written_where_its_event_was() {
    // What a 1 MiB invocation of `hello` must hold at once: the event, the name parsed out of
    // it, and the greeting (which `format!` grows to twice its size, touching half of that).
    // A response buffer of its own would be a fourth MiB: 4.3 MiB measured before the
    // response was written into the event's buffer, 3.3 MiB after.
    let growth = large_events(&[]).peak_growth_kib;
    assert!(
        growth < 3584,
        "the peak grew {growth} KiB for 1 MiB events: more than the event, its parse and the greeting"
    );
}

/// The memory policy's cost with several loops (each thread allocates from its own glibc arena,
/// and each arena keeps what it frees): the peak resident set of 8 loops serving 1 MiB events,
/// with the policy and with glibc's defaults set by the user. A measurement, not a check:
/// `cargo test -p lambda-handler-tests --test soak -- --ignored --nocapture concurrent`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
#[ignore]
fn concurrent_large_events_peak_rss() {
    static CONCURRENT: Binary = Binary::example("concurrent");
    let defaults = [
        ("MALLOC_MMAP_THRESHOLD_", "131072"),
        ("MALLOC_TRIM_THRESHOLD_", "131072"),
    ];
    for env in [&[][..], &defaults[..]] {
        let api = RuntimeApi::start_concurrent(8);
        let mut vars = vec![("AWS_LAMBDA_MAX_CONCURRENCY", "8"), ("_HANDLER", "block")];
        vars.extend_from_slice(env);
        let process = api.spawn(CONCURRENT.path(), &vars);
        let pad = "p".repeat(1 << 20);
        for i in 0..400 {
            let event = format!(r#"{{"id":{i},"sleep_ms":5,"pad":"{pad}"}}"#);
            api.push(Event::new(format!("big-{i}"), event));
        }
        api.wait_for_accepted(400, Duration::from_secs(300));
        let peak = peak_rss_kib(process.pid());
        let rss = std::fs::read_to_string(format!("/proc/{}/status", process.pid())).unwrap();
        let now = rss
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .unwrap()
            .to_owned();
        eprintln!("8 loops, 400 x 1 MiB, {env:?}: peak {peak} KiB, {now}");
    }
}
