//! Benchmarks lambda-handler against awslabs' lambda_runtime 1.5 in one run on this machine,
//! with a raw keep-alive loop and a static exec-and-connect program as the floors.
//!
//! `cargo run --release` (from `bench/`) prints the table; `cargo run --release -- build-time`
//! times clean release builds. See `bench/README.md`.

mod concurrency;
mod http;
mod server;
mod stats;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hyper::body::Bytes;

use server::Server;
use stats::{median, percentile};

const SEED: &str = r#"{"first_name":"Ada","last_name":"Lovelace"}"#;
const WAIT: Duration = Duration::from_secs(300);

struct Settings {
    runs: usize,
    invocations: usize,
    large: usize,
    /// Cold starts of each program per run.
    cold: usize,
    /// `--only ours|lambda_runtime|floor`: measure one subject (for profiling).
    only: Option<usize>,
}

/// What one process of one implementation measured.
#[derive(Default, Clone)]
struct Sample {
    throughput: f64,
    p50_us: f64,
    p99_us: f64,
    cpu_us: f64,
    /// The harness's own CPU per seed invocation: the server's, on the same core.
    rig_cpu_us: f64,
    /// Per large case ([`LARGE_CASES`]): throughput and the handler's CPU per invocation.
    large: [Large; 3],
    seed_rss_mb: f64,
    rss_mb: f64,
    /// Growth of the peak resident set over the seed invocations after the warm-up, scaled
    /// to 100,000 invocations (each with a new request id and trace id), in MB.
    rss_growth_mb_per_100k: f64,
    connections: usize,
}

/// One large case as one process measured it.
#[derive(Default, Clone, Copy)]
struct Large {
    throughput: f64,
    cpu_us: f64,
    /// Page faults per invocation (`minflt`): memory handed back to the kernel and faulted in
    /// again shows here first, as system time.
    faults: f64,
}

/// The large cases: a megabyte in and out (the name is the megabyte, so the greeting is one
/// too), a megabyte in and the seed's answer out (the megabyte is a field the handler's type
/// does not have, which serde skips), and the seed's event in and a megabyte out (the
/// greeting repeated). Each takes its own path through a runtime: reading, skipping,
/// allocating and writing differ.
const LARGE_CASES: [&str; 3] = [
    "1 MiB in, 1 MiB out",
    "1 MiB in, small out",
    "small in, 1 MiB out",
];

/// The events of [`LARGE_CASES`], in order.
fn large_events() -> [Bytes; 3] {
    let megabyte = "a".repeat(1 << 20);
    // "Hello Ada Lovelace!" is 19 bytes: the greeting 55,189 times is a megabyte.
    let repeat = (1 << 20) / 19 + 1;
    [
        Bytes::from(format!(
            r#"{{"first_name":"{megabyte}","last_name":"Lovelace"}}"#
        )),
        Bytes::from(format!(
            r#"{{"first_name":"Ada","last_name":"Lovelace","padding":"{megabyte}"}}"#
        )),
        Bytes::from(format!(
            r#"{{"first_name":"Ada","last_name":"Lovelace","repeat":{repeat}}}"#
        )),
    ]
}

#[derive(Clone, Copy, PartialEq)]
enum Subject {
    Ours,
    LambdaRuntime,
    Floor,
}

/// The setting that puts another binary in lambda_runtime's column.
const AGAINST: &str = "BENCH_AGAINST";

impl Subject {
    fn binary(self, root: &Path) -> PathBuf {
        match self {
            Subject::Ours => root.join("target/bootstrap/hello-ours"),
            // `BENCH_AGAINST=path/to/hello-ours`: another build of ours in this column, for an
            // A/B of two versions measured in the same runs (see README).
            Subject::LambdaRuntime => std::env::var_os(AGAINST)
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("target/bootstrap/hello-lambda-runtime")),
            Subject::Floor => root.join("target/static/x86_64-unknown-linux-gnu/release/raw-floor"),
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    if args.first().map(String::as_str) == Some("build-time") {
        return build_time(&root, args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1));
    }
    if args.first().map(String::as_str) == Some("concurrency") {
        // Not pinned: several invocations at once use every core, as on an instance.
        let runs = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(3);
        let only = (
            args.get(2).map(String::as_str),
            args.get(3).and_then(|c| c.parse().ok()),
        );
        return concurrency::run(&root, runs, only);
    }
    if args.first().map(String::as_str) == Some("sizes") {
        build(&root);
        return print_sizes(&root);
    }
    pin_to_one_core();
    if args.first().map(String::as_str) == Some("http-diff") {
        return http::diff(&root);
    }
    if args.first().map(String::as_str) == Some("http") {
        return http::run(&root, args.get(1).and_then(|n| n.parse().ok()).unwrap_or(5));
    }
    if args.first().map(String::as_str) == Some("json-ab") {
        return json_ab(&root, args.get(1).and_then(|n| n.parse().ok()).unwrap_or(5));
    }
    let mut settings = Settings {
        runs: 5,
        invocations: 20_000,
        large: 200,
        cold: 10,
        only: None,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = || {
            iter.next()
                .and_then(|v| v.parse().ok())
                .expect("a number after the option")
        };
        match arg.as_str() {
            "--runs" => settings.runs = value(),
            "--invocations" => settings.invocations = value(),
            "--large" => settings.large = value(),
            "--cold" => settings.cold = value(),
            "--only" => {
                let name = iter.next().map(String::as_str);
                settings.only = Some(match name {
                    Some("ours") => 0,
                    Some("lambda_runtime") => 1,
                    Some("floor") => 2,
                    _ => panic!("--only ours|lambda_runtime|floor"),
                });
            }
            other => panic!(
                "unknown option {other}: --runs N --invocations N --large N --cold N, or build-time [N], json-ab [N], sizes, concurrency [N], http [N], http-diff"
            ),
        }
    }
    build(&root);
    let musl = build_musl(&root);
    run(&root, &settings, musl);
}

/// Every process here shares CPU 0, as on a 1-vCPU Lambda: on this VM a wake-up across cores
/// costs tens of microseconds, which would swamp what is measured.
///
/// The harness also keeps the memory it frees (glibc's thresholds, for itself only: handlers
/// start with a clean environment), so that the server's own page faults for 1 MiB answers
/// are not counted on the shared core.
fn pin_to_one_core() {
    if std::env::var_os("BENCH_PINNED").is_some() {
        return;
    }
    let me = std::env::current_exe().unwrap();
    let status = Command::new("taskset")
        .arg("-c")
        .arg("0")
        .arg(me)
        .args(std::env::args_os().skip(1))
        .env("BENCH_PINNED", "1")
        .env("MALLOC_MMAP_THRESHOLD_", "33554432")
        .env("MALLOC_TRIM_THRESHOLD_", "67108864")
        .status()
        .expect("taskset (util-linux) pins the benchmark to CPU 0");
    std::process::exit(status.code().unwrap_or(1));
}

/// The handlers as measured, both with the same profile (`bootstrap`: the size-first profile
/// the main README recommends for a Lambda function), so that every ratio compares like with
/// like.
const HANDLERS: [(&str, &str); 2] = [
    ("bootstrap", "bench-hello-ours"),
    ("bootstrap", "bench-hello-lambda-runtime"),
];

fn build(root: &Path) {
    eprintln!("building the handlers and the floors ...");
    for (profile, package) in HANDLERS {
        cargo_build(root, profile, package, &[], None);
    }
    // The exec floor linked as the handlers are (dynamically), to tell the loader's share of
    // a cold start from the runtime's.
    cargo_build(root, "release", "bench-floor", &[], None);
    // The size floors, with the handlers' profile: std alone (the exec floor), and the seed
    // handler on tokio, hyper and serde_json with nothing else (the stack floor).
    cargo_build(root, "bootstrap", "bench-floor", &[], None);
    cargo_build(root, "bootstrap", "bench-stack-floor", &[], None);
    // The floors are static, as the smallest possible exec; ours is built static too, to show
    // what of its cold start is the dynamic loader's.
    let static_dir = root.join("target/static");
    for (profile, package) in [
        ("release", "bench-floor"),
        ("bootstrap", "bench-hello-ours"),
    ] {
        let target = [
            "--target",
            "x86_64-unknown-linux-gnu",
            "--target-dir",
            static_dir.to_str().unwrap(),
        ];
        cargo_build(
            root,
            profile,
            package,
            &target,
            Some("-C target-feature=+crt-static"),
        );
    }
}

/// Ours and the exec floor for `x86_64-unknown-linux-musl`, when that target is installed
/// (`rustup target add x86_64-unknown-linux-musl`): a static binary that needs no glibc.
fn build_musl(root: &Path) -> bool {
    let installed = Command::new("rustc")
        .args(["--print", "target-libdir", "--target", MUSL])
        .output()
        .is_ok_and(|out| Path::new(String::from_utf8_lossy(&out.stdout).trim()).is_dir());
    if !installed {
        eprintln!("(no {MUSL} target installed: musl rows left out)");
        return false;
    }
    for (profile, package) in [
        ("bootstrap", "bench-hello-ours"),
        ("release", "bench-floor"),
    ] {
        cargo_build(root, profile, package, &["--target", MUSL], None);
    }
    true
}

const MUSL: &str = "x86_64-unknown-linux-musl";

fn cargo_build(root: &Path, profile: &str, package: &str, extra: &[&str], rustflags: Option<&str>) {
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .args(["build", "--profile", profile, "-p", package])
        .args(extra);
    if let Some(flags) = rustflags {
        command.env("RUSTFLAGS", flags);
    }
    let built = command.status().expect("cargo");
    assert!(built.success(), "building {package} failed");
}

fn run(root: &Path, settings: &Settings, musl: bool) {
    let seed = Bytes::from_static(SEED.as_bytes());
    let large = large_events();
    let subjects = [Subject::Ours, Subject::LambdaRuntime, Subject::Floor];
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); 3];
    // Ours, lambda_runtime, the exec floor, ours linked static, the exec floor linked
    // dynamically; with musl, ours and the exec floor built for it. Each with whether it
    // answers its event (the exec floors only ask for one).
    let mut cold_binaries = vec![
        (Subject::Ours.binary(root), true),
        (Subject::LambdaRuntime.binary(root), true),
        (
            root.join("target/static/x86_64-unknown-linux-gnu/release/exec-floor"),
            false,
        ),
        (
            root.join("target/static/x86_64-unknown-linux-gnu/bootstrap/hello-ours"),
            true,
        ),
        (root.join("target/release/exec-floor"), false),
        (root.join(STACK_FLOOR), true),
    ];
    if musl {
        let dir = root.join("target").join(MUSL);
        // Indices 6 and 7.
        cold_binaries.push((dir.join("bootstrap/hello-ours"), true));
        cold_binaries.push((dir.join("release/exec-floor"), false));
    }
    let mut cold = vec![ColdStarts::default(); cold_binaries.len()];
    let mut server = Server::start();
    for run in 0..settings.runs {
        // Alternate the order, so that drift on this noisy machine spreads evenly.
        for offset in 0..3 {
            let index = (run + offset) % 3;
            if settings.only.is_some_and(|only| only != index) {
                continue;
            }
            let sample = measure(
                &mut server,
                &subjects[index].binary(root),
                subjects[index],
                settings,
                &seed,
                &large,
            );
            samples[index].push(sample);
        }
        // Start-up is the noisiest figure here, so each program starts `cold` times a run,
        // interleaved with the others.
        for round in 0..settings.cold {
            for offset in 0..cold_binaries.len() {
                let index = (round + offset) % cold_binaries.len();
                if settings.only.is_some_and(|only| only != index) {
                    continue;
                }
                let (binary, answers) = &cold_binaries[index];
                cold[index].push(cold_start(&mut server, binary, *answers));
            }
        }
        eprintln!("run {} of {} done", run + 1, settings.runs);
    }
    if let Some(only) = settings.only {
        print_one(&samples[only], &cold[only]);
        return;
    }
    let size = |s: Subject| {
        std::fs::metadata(s.binary(root))
            .map(|m| m.len() as f64 / 1e6)
            .unwrap_or(f64::NAN)
    };
    let static_size =
        std::fs::metadata(root.join("target/static/x86_64-unknown-linux-gnu/bootstrap/hello-ours"))
            .map_or(f64::NAN, |m| m.len() as f64 / 1e6);
    print_table(
        settings,
        &samples,
        &cold,
        [
            size(Subject::Ours),
            size(Subject::LambdaRuntime),
            file_mb(&root.join(STACK_FLOOR)),
        ],
    );
    println!(
        "ours linked static (crt-static, {static_size:.2} MB): exec to first GET next {:.2} ms, {:.2}x the exec floor",
        median(&cold[3].next_ms),
        median(&cold[3].next_ms) / median(&cold[2].next_ms)
    );
    println!(
        "exec floor linked dynamically: {:.2} ms; ours {:.2}x it (the rest of ours vs the static floor is the dynamic loader's)",
        median(&cold[4].next_ms),
        median(&cold[0].next_ms) / median(&cold[4].next_ms)
    );
    println!(
        "stack floor (the seed handler on tokio, hyper and serde_json alone): exec to first GET next {:.2} ms; ours {:.2}x it",
        median(&cold[5].next_ms),
        median(&cold[0].next_ms) / median(&cold[5].next_ms)
    );
    if musl {
        println!(
            "ours built for musl (static, {:.2} MB): exec to first GET next {:.2} ms, {:.2}x the exec floor; a musl exec floor {:.2} ms",
            file_mb(&cold_binaries[6].0),
            median(&cold[6].next_ms),
            median(&cold[6].next_ms) / median(&cold[2].next_ms),
            median(&cold[7].next_ms),
        );
    }
    println!();
    print_sizes(root);
}

/// The stack floor: the seed handler on tokio, hyper and serde_json with nothing else.
const STACK_FLOOR: &str = "target/bootstrap/stack-floor";

fn file_mb(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(f64::NAN, |m| m.len() as f64 / 1e6)
}

/// The stripped sizes with the handlers' profile, against lambda_runtime's: what of ours is
/// std's, what the stack's (tokio, hyper, serde_json), and what the runtime's own.
fn print_sizes(root: &Path) {
    let theirs = file_mb(&root.join("target/bootstrap/hello-lambda-runtime"));
    println!(
        "stripped sizes, all built with the bootstrap profile (lto, opt-level s, one codegen unit):"
    );
    for (name, path) in [
        ("std alone (the exec floor)", "target/bootstrap/exec-floor"),
        (
            "the seed handler on tokio, hyper and serde_json alone",
            STACK_FLOOR,
        ),
        (
            "the seed handler on lambda-handler",
            "target/bootstrap/hello-ours",
        ),
        (
            "the seed handler on lambda_runtime 1.5",
            "target/bootstrap/hello-lambda-runtime",
        ),
    ] {
        let mb = file_mb(&root.join(path));
        println!(
            "  {name:<56} {mb:>5.2} MB  {:>5.2}x lambda_runtime",
            mb / theirs
        );
    }
}

fn spawn(binary: &Path, server: &Server) -> std::process::Child {
    spawn_with(binary, server, &[])
}

/// [`spawn`], with `env` set after Lambda's standard environment.
fn spawn_with(binary: &Path, server: &Server, env: &[(&str, &str)]) -> std::process::Child {
    // BENCH_WRAP runs the handler under a profiler, e.g.
    // BENCH_WRAP="valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out".
    let wrap = std::env::var("BENCH_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut command = match words.next() {
        Some(tool) => {
            let mut command = Command::new(tool);
            command.args(words).arg(binary);
            command
        }
        None => Command::new(binary),
    };
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", server.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("_HANDLER", "bootstrap")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()))
}

fn measure(
    server: &mut Server,
    binary: &Path,
    subject: Subject,
    settings: &Settings,
    seed: &Bytes,
    large: &[Bytes; 3],
) -> Sample {
    server.reset();
    // A warm-up of a tenth of the run, after which the peak resident set should stay put.
    let warm_up = (settings.invocations / 10).max(1);
    server.push(seed, warm_up);
    let mut child = spawn(binary, server);
    let pid = child.id();
    server.wait_answers(warm_up, WAIT);
    let warm_rss_kib = peak_rss_kib(pid);
    let first_body = server.with_log(|log| log.first_body.clone());
    if subject != Subject::Floor {
        assert_eq!(
            first_body.as_deref(),
            Some(&br#"{"message":"Hello Ada Lovelace!"}"#[..]),
            "{}",
            binary.display()
        );
    }

    let cpu_before = cpu_ns(pid);
    let rig_before = cpu_ns(std::process::id());
    server.push(seed, settings.invocations);
    server.wait_answers(warm_up + settings.invocations, WAIT);
    let cpu_after = cpu_ns(pid);
    let rig_cpu_us =
        (cpu_ns(std::process::id()) - rig_before) as f64 / 1e3 / settings.invocations as f64;
    let (throughput, mut latencies) = server.with_log(|log| {
        let range = warm_up..warm_up + settings.invocations;
        let start = log.handed[range.start].unwrap();
        let end = log.answered[range.end - 1].unwrap();
        let latencies: Vec<f64> = range
            .map(|i| (log.answered[i].unwrap() - log.handed[i].unwrap()).as_secs_f64() * 1e6)
            .collect();
        (
            settings.invocations as f64 / (end - start).as_secs_f64(),
            latencies,
        )
    });
    latencies.sort_by(f64::total_cmp);

    let seed_rss_mb = peak_rss_kib(pid) / 1024.0;
    let rss_growth_mb_per_100k =
        (seed_rss_mb - warm_rss_kib / 1024.0) * 100_000.0 / settings.invocations as f64;
    let mut answered = warm_up + settings.invocations;
    let mut large_samples = [Large::default(); 3];
    for (event, sample) in large.iter().zip(&mut large_samples) {
        let (cpu_before, faults_before) = (cpu_ns(pid), minor_faults(pid));
        server.push(event, settings.large);
        server.wait_answers(answered + settings.large, WAIT);
        sample.cpu_us = (cpu_ns(pid) - cpu_before) as f64 / 1e3 / settings.large as f64;
        sample.faults = (minor_faults(pid) - faults_before) as f64 / settings.large as f64;
        sample.throughput = server.with_log(|log| {
            let start = log.handed[answered].unwrap();
            let end = log.answered[answered + settings.large - 1].unwrap();
            settings.large as f64 / (end - start).as_secs_f64()
        });
        answered += settings.large;
    }
    let failures = server.with_log(|log| log.failures);
    assert_eq!(failures, 0, "{} answered with errors", binary.display());

    let rss_mb = peak_rss_kib(pid) / 1024.0;
    let connections = server.connections();
    stop(&mut child);
    Sample {
        throughput,
        p50_us: percentile(&latencies, 0.50),
        p99_us: percentile(&latencies, 0.99),
        cpu_us: (cpu_after - cpu_before) as f64 / 1e3 / settings.invocations as f64,
        rig_cpu_us,
        large: large_samples,
        seed_rss_mb,
        rss_mb,
        rss_growth_mb_per_100k,
        connections,
    }
}

/// Ends a handler: SIGTERM first, so that a profiler wrapping it writes its profile.
fn stop(child: &mut std::process::Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    for _ in 0..500 {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// One program's cold starts, in milliseconds from exec.
#[derive(Default, Clone)]
struct ColdStarts {
    next_ms: Vec<f64>,
    response_ms: Vec<f64>,
}

impl ColdStarts {
    fn push(&mut self, (next_ms, response_ms): (f64, Option<f64>)) {
        self.next_ms.push(next_ms);
        self.response_ms.extend(response_ms);
    }
}

/// Exec to first `GET next`, and to the first answer when `answers`, in milliseconds.
fn cold_start(server: &mut Server, binary: &Path, answers: bool) -> (f64, Option<f64>) {
    server.reset();
    server.push(&Bytes::from_static(SEED.as_bytes()), 1);
    let started = Instant::now();
    let mut child = spawn(binary, server);
    let first_next = server.wait_first_next(WAIT);
    let first_answer = answers.then(|| {
        server.wait_answers(1, WAIT);
        server.with_log(|log| log.answered[0].unwrap())
    });
    stop(&mut child);
    let ms = |at: Instant| (at - started).as_secs_f64() * 1e3;
    (ms(first_next), first_answer.map(ms))
}

/// Time the process has spent on a CPU, from the scheduler (nanoseconds, all threads).
fn cpu_ns(pid: u32) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let schedstat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += schedstat
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    total
}

/// Page faults a process has taken so far (`minflt`, field 10 of `/proc/PID/stat`).
fn minor_faults(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may contain spaces.
    stat.rsplit_once(')')
        .and_then(|(_, fields)| fields.split_whitespace().nth(7)?.parse().ok())
        .unwrap_or(0)
}

fn peak_rss_kib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(f64::NAN)
}

fn print_table(
    settings: &Settings,
    samples: &[Vec<Sample>],
    cold: &[ColdStarts],
    sizes_mb: [f64; 3],
) {
    let of =
        |i: usize, f: fn(&Sample) -> f64| median(&samples[i].iter().map(f).collect::<Vec<_>>());
    let (ours, theirs, floor) = (0, 1, 2);
    println!();
    if let Some(against) = std::env::var_os(AGAINST) {
        println!(
            "A/B: the lambda_runtime column is {} ({AGAINST})",
            Path::new(&against).display()
        );
    }
    println!(
        "lambda-handler vs lambda_runtime 1.5: {} runs, each {} seed + 3 x {} large invocations, one at a time;",
        settings.runs, settings.invocations, settings.large
    );
    println!(
        "{} cold starts of each program a run; server and handlers pinned to CPU 0; medians;",
        settings.cold
    );
    println!(
        "floor: the raw keep-alive loop, for cold start the static exec floor, for size the stack floor\n"
    );
    println!(
        "{:<40} {:>15} {:>15} {:>11} {:>12}",
        "", "lambda-handler", "lambda_runtime", "floor", "ours/theirs"
    );
    let row = |name: &str, f: fn(&Sample) -> f64, with_floor: bool, precision: usize| {
        let (a, b, c) = (of(ours, f), of(theirs, f), of(floor, f));
        let floor = if with_floor {
            format!("{c:.precision$}")
        } else {
            "-".into()
        };
        println!(
            "{name:<40} {a:>15.precision$} {b:>15.precision$} {floor:>11} {:>11.2}x",
            a / b
        );
    };
    row(
        "warm throughput, seed event (inv/s)",
        |s| s.throughput,
        true,
        0,
    );
    row("latency p50, seed event (us)", |s| s.p50_us, true, 1);
    row("latency p99, seed event (us)", |s| s.p99_us, true, 1);
    row("handler CPU per invocation (us)", |s| s.cpu_us, true, 1);
    row(
        "handler invocations per CPU-second",
        |s| 1e6 / s.cpu_us,
        true,
        0,
    );
    row(
        "rig server CPU per invocation (us)",
        |s| s.rig_cpu_us,
        true,
        1,
    );
    for (case, name) in LARGE_CASES.iter().enumerate() {
        let of = |i: usize, f: fn(&Large) -> f64| {
            median(
                &samples[i]
                    .iter()
                    .map(|s| f(&s.large[case]))
                    .collect::<Vec<_>>(),
            )
        };
        let large_row = |what: &str, f: fn(&Large) -> f64, precision: usize| {
            let (a, b, c) = (of(ours, f), of(theirs, f), of(floor, f));
            let name = format!("{what}, {name}");
            println!(
                "{name:<40} {a:>15.precision$} {b:>15.precision$} {c:>11.precision$} {:>11.2}x",
                a / b
            );
        };
        large_row("throughput (inv/s)", |l| l.throughput, 1);
        large_row("handler CPU (us)", |l| l.cpu_us, 0);
        large_row("page faults per invocation", |l| l.faults, 1);
    }
    row(
        "TCP connections per process",
        |s| s.connections as f64,
        true,
        0,
    );
    let cold_row = |name: &str, of: fn(&ColdStarts) -> &[f64], floor: String| {
        let (a, b) = (median(of(&cold[ours])), median(of(&cold[theirs])));
        println!(
            "{name:<40} {a:>15.2} {b:>15.2} {floor:>11} {:>11.2}x",
            a / b
        );
    };
    let exec_floor_ms = median(&cold[2].next_ms);
    cold_row(
        "cold start: exec to first GET next (ms)",
        |c| &c.next_ms,
        format!("{exec_floor_ms:.2}"),
    );
    cold_row(
        "cold start: exec to first response (ms)",
        |c| &c.response_ms,
        "-".into(),
    );
    row("peak RSS, seed events (MB)", |s| s.seed_rss_mb, false, 2);
    row(
        "RSS growth per 100,000 invocations (MB)",
        |s| s.rss_growth_mb_per_100k,
        false,
        2,
    );
    row(
        "peak RSS, with the 1 MiB events (MB)",
        |s| s.rss_mb,
        false,
        2,
    );
    println!(
        "{:<40} {:>15.2} {:>15.2} {:>11.2} {:>11.2}x",
        "stripped binary (MB)",
        sizes_mb[0],
        sizes_mb[1],
        sizes_mb[2],
        sizes_mb[0] / sizes_mb[1]
    );
    println!();
    println!(
        "ours vs floors: CPU per invocation {:.2}x the raw loop's; first GET next {:.2}x the exec floor",
        of(ours, |s| s.cpu_us) / of(floor, |s| s.cpu_us),
        median(&cold[ours].next_ms) / exec_floor_ms
    );
    // The server shares the core, so no runtime that speaks HTTP can beat the raw loop's
    // throughput ratio here: the ceiling for the seed-throughput row.
    println!(
        "seed throughput ceiling on this rig: the raw loop reaches {:.2}x lambda_runtime's (ours {:.2}x)",
        of(floor, |s| s.throughput) / of(theirs, |s| s.throughput),
        of(ours, |s| s.throughput) / of(theirs, |s| s.throughput)
    );
}

/// `--only`: the one subject's medians, for profiling and trying settings.
fn print_one(samples: &[Sample], cold: &ColdStarts) {
    let of = |f: fn(&Sample) -> f64| median(&samples.iter().map(f).collect::<Vec<_>>());
    println!(
        "seed: {:.0} inv/s, {:.1} us CPU; peak RSS {:.2} MB; first GET next {:.2} ms",
        of(|s| s.throughput),
        of(|s| s.cpu_us),
        of(|s| s.rss_mb),
        median(&cold.next_ms),
    );
    for (case, name) in LARGE_CASES.iter().enumerate() {
        let large = |f: fn(&Large) -> f64| {
            median(
                &samples
                    .iter()
                    .map(|s| f(&s.large[case]))
                    .collect::<Vec<_>>(),
            )
        };
        println!(
            "{name}: {:.1} inv/s, {:.0} us CPU, {:.1} page faults per invocation",
            large(|l| l.throughput),
            large(|l| l.cpu_us),
            large(|l| l.faults)
        );
    }
}

/// The JSON writer's A/B: our writer against `serde_json::to_writer` into the same reused
/// buffer (the runtime built with `--cfg lambda_handler_serde_json_writer`), both with the
/// bootstrap profile, measured as the handler's CPU per invocation in the same runs.
fn json_ab(root: &Path, runs: usize) {
    eprintln!("building both writers ...");
    cargo_build(root, "bootstrap", "bench-hello-ours", &[], None);
    let serde_dir = root.join("target/serde-json-writer");
    cargo_build(
        root,
        "bootstrap",
        "bench-hello-ours",
        &["--target-dir", serde_dir.to_str().unwrap()],
        Some("--cfg lambda_handler_serde_json_writer"),
    );
    let variants = [root.join("target/bootstrap"), serde_dir.join("bootstrap")];
    let seed = Bytes::from_static(SEED.as_bytes());
    let string = Bytes::from(format!(
        r#"{{"first_name":"{}","last_name":"Lovelace"}}"#,
        "a".repeat(1 << 20)
    ));
    let mut records = String::from("[");
    let mut count = 0;
    while records.len() < 1 << 20 {
        if count > 0 {
            records.push(',');
        }
        records.push_str(&format!(
            r#"{{"id":{count},"name":"item-{count}","price":{count}.25,"in_stock":{},"tags":["red","sale"]}}"#,
            count % 3 == 0
        ));
        count += 1;
    }
    records.push(']');
    let records = Bytes::from(records);
    // (label, binary, event, warm-up, measured invocations)
    let cases = [
        ("seed event", "hello-ours", &seed, 2_000, 20_000),
        ("1 MiB string event", "hello-ours", &string, 20, 200),
        (
            "1 MiB event of small records",
            "records-ours",
            &records,
            20,
            200,
        ),
    ];
    let mut samples = vec![[Vec::new(), Vec::new()]; cases.len()];
    let mut server = Server::start();
    for run in 0..runs {
        for (case, (_, binary, event, warm_up, measured)) in cases.iter().enumerate() {
            // Alternate which writer goes first, so drift spreads evenly.
            for offset in 0..2 {
                let variant = (run + offset) % 2;
                let binary = variants[variant].join(binary);
                samples[case][variant].push(handler_cpu_us(
                    &mut server,
                    &binary,
                    event,
                    *warm_up,
                    *measured,
                ));
            }
        }
        eprintln!("run {} of {runs} done", run + 1);
    }
    println!();
    println!(
        "JSON writer A/B: handler CPU per invocation (us), medians of {runs} runs, pinned to CPU 0"
    );
    println!(
        "({count} records in the records event; both runtimes built with the bootstrap profile)\n"
    );
    println!(
        "{:<32} {:>12} {:>24} {:>8}",
        "", "our writer", "serde_json::to_writer", "saved"
    );
    for (case, (label, ..)) in cases.iter().enumerate() {
        let (ours, theirs) = (median(&samples[case][0]), median(&samples[case][1]));
        println!(
            "{label:<32} {ours:>12.1} {theirs:>24.1} {:>7.1}%",
            (1.0 - ours / theirs) * 100.0
        );
    }
}

/// The handler's CPU per invocation of `event`, after a warm-up, in one new process.
fn handler_cpu_us(
    server: &mut Server,
    binary: &Path,
    event: &Bytes,
    warm_up: usize,
    measured: usize,
) -> f64 {
    server.reset();
    server.push(event, warm_up);
    let mut child = spawn(binary, server);
    let pid = child.id();
    server.wait_answers(warm_up, WAIT);
    let before = cpu_ns(pid);
    server.push(event, measured);
    server.wait_answers(warm_up + measured, WAIT);
    let cpu_us = (cpu_ns(pid) - before) as f64 / 1e3 / measured as f64;
    let failures = server.with_log(|log| log.failures);
    assert_eq!(failures, 0, "{} answered with errors", binary.display());
    stop(&mut child);
    cpu_us
}

/// Clean release builds of the two handlers, alternating, each in a fresh target directory.
fn build_time(root: &Path, rounds: usize) {
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..rounds {
        for (i, (profile, package)) in HANDLERS.into_iter().enumerate() {
            let dir = root.join(format!("target/build-time/{package}"));
            let _ = std::fs::remove_dir_all(&dir);
            let started = Instant::now();
            cargo_build(
                root,
                profile,
                package,
                &["--offline", "-q", "--target-dir", dir.to_str().unwrap()],
                None,
            );
            let seconds = started.elapsed().as_secs_f64();
            eprintln!("round {}: {package} built in {seconds:.1} s", round + 1);
            times[i].push(seconds);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let (ours, theirs) = (median(&times[0]), median(&times[1]));
    println!(
        "clean release build (bench profile), median of {rounds}: lambda-handler {ours:.1} s, lambda_runtime {theirs:.1} s, ours/theirs {:.2}x",
        ours / theirs
    );
}
