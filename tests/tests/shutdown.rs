//! Shutdown: on SIGTERM (Lambda ending the execution environment), a handler's shutdown hook
//! runs with its state and the process exits 0; the emulator passes its own SIGTERM on to the
//! runtime and never leaves it running.
#![cfg(unix)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lambda_handler_tests::{Binary, Event, RuntimeApi};

static SHUTDOWN: Binary = Binary::example("shutdown");
static EMULATOR: Binary = Binary::emulator();
const WAIT: Duration = Duration::from_secs(30);

fn flush_file(name: &str) -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Sends SIGTERM to a process this test started.
fn terminate(pid: u32) {
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
}

#[test]
fn sigterm_runs_the_shutdown_hook_with_the_state_then_exits_0() {
    let flushed = flush_file("flushed");
    let api = RuntimeApi::start();
    let mut process = api.spawn(
        SHUTDOWN.path(),
        &[("FLUSH_FILE", flushed.to_str().unwrap())],
    );
    for i in 0..3 {
        api.push(Event::new(format!("count-{i}"), "{}"));
    }
    let answers = api.wait_for_accepted(3, WAIT);
    assert_eq!(answers[2].json(), 3);
    let pid = process.pid();
    terminate(pid);
    let (code, stderr) = process.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 0, "{stderr}");
    let written = std::fs::read_to_string(&flushed)
        .unwrap_or_else(|e| panic!("the hook did not write ({e}): {stderr}"));
    // One line: the hook ran once.
    assert_eq!(written, format!("served 3, pid {pid}\n"));
    assert!(
        stderr.contains("SIGTERM: running the shutdown hook"),
        "{stderr}"
    );
}

#[test]
fn the_emulator_passes_sigterm_on_and_never_leaves_its_runtime_running() {
    let flushed = flush_file("emulated");
    let mut emulator = Command::new(EMULATOR.path())
        .args(["--port", "0", "--"])
        .arg(SHUTDOWN.path())
        .env("FLUSH_FILE", &flushed)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Held to the end: the emulator keeps writing to its standard error.
    let (_stderr, port) = emulator_port(&mut emulator);
    // One invocation, so that the runtime is running.
    assert_eq!(invoke_once(port), "1");

    terminate(emulator.id());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = emulator.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < WAIT, "the emulator did not exit");
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(status.code(), Some(0));
    // The runtime got SIGTERM (its hook ran) and is gone.
    let written = std::fs::read_to_string(&flushed).expect("the runtime's hook ran");
    let pid = written.trim_end().rsplit(' ').next().unwrap();
    assert!(written.starts_with("served 1, pid "), "{written}");
    assert_eq!(written.lines().count(), 1, "the hook ran once: {written}");
    #[cfg(target_os = "linux")]
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "the runtime {pid} is still running"
    );
}

/// SIGTERM while the one loop runs an invocation: the invocation is answered first, then the
/// hook runs (it counts that invocation) and the process exits 0.
#[test]
fn sigterm_during_an_invocation_answers_it_then_runs_the_hook() {
    let flushed = flush_file("in-flight");
    let api = RuntimeApi::start();
    let mut process = api.spawn(
        SHUTDOWN.path(),
        &[("FLUSH_FILE", flushed.to_str().unwrap())],
    );
    api.push(Event::new("slow-1", r#"{"hang_ms": 300}"#));
    let deadline = Instant::now() + WAIT;
    while api.in_flight() != ["slow-1"] {
        assert!(Instant::now() < deadline, "slow-1 was never taken");
        std::thread::sleep(Duration::from_millis(5));
    }
    let pid = process.pid();
    terminate(pid);
    let (code, stderr) = process.wait_exit(WAIT).expect("the process exits");
    assert_eq!(code, 0, "{stderr}");
    let answers = api.wait_for_accepted(1, WAIT);
    assert!(answers[0].path.ends_with("/slow-1/response"), "{answers:?}");
    assert_eq!(answers[0].json(), 1);
    assert_eq!(
        std::fs::read_to_string(&flushed).unwrap(),
        format!("served 1, pid {pid}\n")
    );
}

/// A hook that runs past Lambda's 500 ms budget is cut off there, said in the log, and the
/// process still exits 0 (before Lambda's SIGKILL would come).
#[test]
fn a_hook_past_the_budget_is_cut_off_and_logged() {
    let flushed = flush_file("slow-hook");
    let api = RuntimeApi::start();
    let mut process = api.spawn(
        SHUTDOWN.path(),
        &[
            ("FLUSH_FILE", flushed.to_str().unwrap()),
            ("FLUSH_DELAY_MS", "10000"),
        ],
    );
    api.push(Event::new("one", "{}"));
    api.wait_for_accepted(1, WAIT);
    let signalled = Instant::now();
    terminate(process.pid());
    let (code, stderr) = process.wait_exit(WAIT).expect("the process exits");
    let took = signalled.elapsed();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("the shutdown hook ran past Lambda's 500 ms; exiting without it"),
        "{stderr}"
    );
    // Cut at the budget: the hook's 10 s sleep never finished, so it wrote nothing.
    assert!(took >= Duration::from_millis(500), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(!flushed.exists());
}

/// `lambda-emulator` passes Ctrl-C (SIGINT) on to its runtime as SIGTERM and kills a runtime
/// still running 2 s later (here one that ignores SIGTERM): it never leaves it running.
#[test]
fn the_emulator_kills_a_runtime_that_ignores_sigterm_after_2_s() {
    let pid_file = flush_file("ignores-sigterm.pid");
    let mut emulator = Command::new(EMULATOR.path())
        .args(["--port", "0", "--", "python3"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/python/ignores_sigterm.py"
        ))
        .env("PID_FILE", &pid_file)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Held to the end: the emulator keeps writing to its standard error.
    let (_stderr, port) = emulator_port(&mut emulator);
    // The runtime starts with the first invocation.
    assert_eq!(invoke_once(port), "\"ok\"");
    let runtime: u32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    let _ = std::fs::remove_file(&pid_file);

    let interrupted = Instant::now();
    let sent = Command::new("kill")
        .args(["-INT", &emulator.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = loop {
        if let Some(status) = emulator.try_wait().unwrap() {
            break status;
        }
        assert!(interrupted.elapsed() < WAIT, "the emulator did not exit");
        std::thread::sleep(Duration::from_millis(10));
    };
    let took = interrupted.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(10),
        "exited {took:?} after Ctrl-C"
    );
    assert!(status.code().is_some(), "{status:?}");
    #[cfg(target_os = "linux")]
    assert!(
        !std::path::Path::new(&format!("/proc/{runtime}")).exists(),
        "the runtime {runtime} is still running"
    );
}

/// The emulator's port, from the line it prints first, and the rest of its standard error.
fn emulator_port(
    emulator: &mut std::process::Child,
) -> (BufReader<std::process::ChildStderr>, u16) {
    let mut stderr = BufReader::new(emulator.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port: u16 = line
        .split("http://127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    (stderr, port)
}

/// One invocation through the emulator's Invoke API, by a client that is not ours (Python's
/// standard library): the answer's body.
fn invoke_once(port: u16) -> String {
    let invoked = Command::new("python3")
        .args([
            "-c",
            "import sys, urllib.request; print(urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b'{}')).read().decode())",
        ])
        .arg(format!(
            "http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
        ))
        .output()
        .unwrap();
    String::from_utf8_lossy(&invoked.stdout).trim().to_owned()
}
