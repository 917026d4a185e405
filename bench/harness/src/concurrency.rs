//! `cargo run --release -- concurrency [RUNS]`: Lambda Managed Instances, where one execution
//! environment gets up to `AWS_LAMBDA_MAX_CONCURRENCY` invocations at once and the instance's
//! CPU is the bill. Three handlers (the seed greeting, an async 20 ms wait, about 200 µs of
//! CPU) at C = 1, 8 and 64, on lambda-handler and on lambda_runtime 1.5's `run_concurrent`
//! (multi-threaded tokio), both built with the `bootstrap` profile, alternating in each run.
//!
//! Unlike the main table, nothing is pinned: several invocations at once are meant to use
//! every core, as on an instance. The Runtime API queues every event before the process
//! starts, so each `GET /next` is answered at once and the runtime's own concurrency is what
//! keeps C in flight.

use std::path::Path;
use std::time::{Duration, Instant};

use hyper::body::Bytes;

use crate::server::Server;
use crate::stats::median;
use crate::{WAIT, cargo_build, cpu_ns, peak_rss_kib, stop};

/// How many invocations to measure at a concurrency.
type Count = fn(usize) -> usize;

/// The handlers: name, event, and how many invocations to measure at concurrency `c`.
const HANDLERS: [(&str, &str, Count); 3] = [
    (
        "greet",
        r#"{"first_name":"Ada","last_name":"Lovelace"}"#,
        |_| 20_000,
    ),
    // About a second of waiting at every C: 50 sleeps of 20 ms a loop.
    ("sleep", "{}", |c| 50 * c.max(2)),
    ("spin", "{}", |_| 5_000),
];

const CONCURRENCY: [usize; 3] = [1, 8, 64];

/// What one process measured.
#[derive(Clone, Copy, Default)]
struct Sample {
    throughput: f64,
    cpu_us: f64,
    peak_rss_kib: f64,
    threads: usize,
    /// Context switches per invocation, all threads, voluntary and not.
    switches: f64,
}

/// `only`: one handler (and one concurrency), for profiling with `BENCH_WRAP`.
pub(crate) fn run(root: &Path, runs: usize, only: (Option<&str>, Option<usize>)) {
    eprintln!("building the Managed Instances handlers ...");
    cargo_build(root, "bootstrap", "bench-hello-ours", &[], None);
    cargo_build(root, "bootstrap", "bench-mi-lambda-runtime", &[], None);
    cargo_build(root, "release", "bench-floor", &[], None);
    let binaries = [
        root.join("target/bootstrap/mi-ours"),
        root.join("target/bootstrap/mi-lambda-runtime"),
    ];
    // The raw floor answers `{}` at once: a reference for the greeting handler only.
    let floor = root.join("target/release/raw-floor");
    let mut floor_samples = vec![Vec::new(); CONCURRENCY.len()];
    let mut server = Server::start();
    // samples[handler][c][subject]: one per run.
    let mut samples = vec![vec![[Vec::new(), Vec::new()]; CONCURRENCY.len()]; HANDLERS.len()];
    for run in 0..runs {
        for (h, (name, event, count)) in HANDLERS.iter().enumerate() {
            for (i, &c) in CONCURRENCY.iter().enumerate() {
                if only.0.is_some_and(|o| o != *name) || only.1.is_some_and(|o| o != c) {
                    continue;
                }
                // The order alternates from run to run.
                for s in [run % 2, 1 - run % 2] {
                    let sample = measure(&mut server, &binaries[s], name, event, c, count(c));
                    samples[h][i][s].push(sample);
                }
                if *name == "greet" {
                    let sample = measure(&mut server, &floor, name, event, c, count(c));
                    floor_samples[i].push(sample);
                }
            }
        }
        eprintln!("run {} of {runs} done", run + 1);
    }
    print(&samples, runs);
    println!();
    for (i, c) in CONCURRENCY.iter().enumerate() {
        if floor_samples[i].is_empty() {
            continue;
        }
        let cpu = median(
            &floor_samples[i]
                .iter()
                .map(|s| s.cpu_us)
                .collect::<Vec<_>>(),
        );
        let throughput = median(
            &floor_samples[i]
                .iter()
                .map(|s| s.throughput)
                .collect::<Vec<_>>(),
        );
        println!(
            "raw floor (std, a blocking thread per connection, answers `{{}}`), C={c}: {cpu:.0} us CPU per invocation, {throughput:.0} /s"
        );
    }
}

fn measure(
    server: &mut Server,
    binary: &Path,
    handler: &str,
    event: &str,
    c: usize,
    count: usize,
) -> Sample {
    server.reset();
    let event = Bytes::from(event.to_owned());
    let warm_up = (count / 10).max(c);
    server.push(&event, warm_up);
    let mut child = crate::spawn_with(
        binary,
        server,
        &[
            ("_HANDLER", handler),
            ("AWS_LAMBDA_MAX_CONCURRENCY", &c.to_string()),
        ],
    );
    let pid = child.id();
    server.wait_answers(warm_up, WAIT);
    let (cpu_before, switches_before) = (cpu_ns(pid), switches(pid));
    let started = Instant::now();
    server.push(&event, count);
    server.wait_answers(warm_up + count, WAIT);
    let elapsed = started.elapsed();
    let (cpu_after, switches_after) = (cpu_ns(pid), switches(pid));
    let sample = Sample {
        throughput: count as f64 / elapsed.as_secs_f64(),
        cpu_us: (cpu_after - cpu_before) as f64 / 1e3 / count as f64,
        peak_rss_kib: peak_rss_kib(pid),
        threads: threads(pid),
        switches: (switches_after - switches_before) as f64 / count as f64,
    };
    let failures = server.with_log(|log| log.failures);
    assert_eq!(
        failures,
        0,
        "{} {handler} at C={c}: failed invocations",
        binary.display()
    );
    stop(&mut child);
    // The Runtime API counted every answer once: no invocation lost or answered twice.
    assert_eq!(server.with_log(|log| log.answers), warm_up + count);
    std::thread::sleep(Duration::from_millis(50));
    sample
}

/// The process's threads now.
fn threads(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count)
}

/// Context switches so far, all threads, voluntary and involuntary.
fn switches(pid: u32) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        for line in status.lines() {
            if let Some(n) = line
                .strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| line.strip_prefix("nonvoluntary_ctxt_switches:"))
            {
                total += n.trim().parse::<u64>().unwrap_or(0);
            }
        }
    }
    total
}

fn print(samples: &[Vec<[Vec<Sample>; 2]>], runs: usize) {
    println!(
        "Managed Instances: lambda-handler vs lambda_runtime 1.5 run_concurrent, {runs} runs, medians; \
         unpinned ({} cores); ours / theirs (ratio)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!();
    println!(
        "{:<8} {:>3}  {:>26}  {:>22}  {:>17}  {:>9}  {:>13}",
        "handler",
        "C",
        "throughput /s",
        "CPU us per invocation",
        "peak RSS KB",
        "threads",
        "switches/inv"
    );
    for (h, (name, _, _)) in HANDLERS.iter().enumerate() {
        for (i, c) in CONCURRENCY.iter().enumerate() {
            if samples[h][i][0].is_empty() {
                continue;
            }
            let med = |s: usize, f: fn(&Sample) -> f64| {
                median(&samples[h][i][s].iter().map(f).collect::<Vec<_>>())
            };
            let pair = |f: fn(&Sample) -> f64, digits: usize| {
                let (ours, theirs) = (med(0, f), med(1, f));
                format!(
                    "{ours:.digits$} / {theirs:.digits$} ({:.2}x)",
                    ours / theirs
                )
            };
            println!(
                "{name:<8} {c:>3}  {:>26}  {:>22}  {:>17}  {:>9}  {:>13}",
                pair(|s| s.throughput, 0),
                pair(|s| s.cpu_us, 0),
                format!(
                    "{:.0} / {:.0}",
                    med(0, |s| s.peak_rss_kib),
                    med(1, |s| s.peak_rss_kib)
                ),
                format!(
                    "{:.0} / {:.0}",
                    med(0, |s| s.threads as f64),
                    med(1, |s| s.threads as f64)
                ),
                format!(
                    "{:.2} / {:.2}",
                    med(0, |s| s.switches),
                    med(1, |s| s.switches)
                ),
            );
        }
    }
}
