//! Local development without AWS: `--serve` on a handler binary and `lambda-emulator` around
//! any runtime (ours, and a Python function under AWS's awslambdaric), driven over plain HTTP
//! and by boto3's own Lambda client.

use lambda_handler_protocol::headers;
use lambda_handler_protocol::limits::{MAX_ASYNC_PAYLOAD, MAX_RESPONSE, MAX_SYNC_PAYLOAD};
use lambda_handler_tests::Binary;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde_json::{Value, json};

static HELLO: Binary = Binary::example("hello");
static FAULTS: Binary = Binary::example("faults");
static MULTI: Binary = Binary::example("multi");
static CONTEXT: Binary = Binary::example("context");
static STATE: Binary = Binary::example("state");
static LOGS: Binary = Binary::example("logs");
static CONCURRENT: Binary = Binary::example("concurrent");
static STREAMING: Binary = Binary::example("streaming");
static APIGW_HTTP: Binary = Binary::example("apigw_http");
static HTTP_API: Binary = Binary::example("http_api");
static AXUM_API: Binary = Binary::example("axum_api");
static EMULATOR: Binary = Binary::emulator();
const ADA: &str = r#"{"first_name":"Ada","last_name":"Lovelace"}"#;
const INVOKE: &str = "/2015-03-31/functions/function/invocations";

/// A local Lambda process (`--serve` or `lambda-emulator`), stopped with its runtime child
/// when dropped. It binds port 0 itself and says which port it got; it is ready once it
/// answers a request.
struct Local {
    process: Child,
    port: u16,
    /// Every line it wrote to stderr (its own, and its runtime's, passed on).
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Local {
    fn serve(binary: &str, args: &[&str]) -> Self {
        let mut command = Command::new(binary);
        command.args(["--serve", "127.0.0.1:0"]).args(args);
        Self::start(command)
    }

    fn emulate(options: &[&str], runtime: &[&str]) -> Self {
        let mut command = Command::new(EMULATOR.path());
        command
            .args(["--port", "0"])
            .args(options)
            .arg("--")
            .args(runtime);
        Self::start(command)
    }

    fn start(mut command: Command) -> Self {
        command
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .stdin(Stdio::null())
            .stderr(Stdio::piped());
        let mut process = command.spawn().expect("start the local Lambda");
        // The emulator's first line names its address; the rest of its log is passed on.
        let stderr = process.stderr.take().unwrap();
        let (port_found, port) = std::sync::mpsc::channel();
        let log: std::sync::Arc<std::sync::Mutex<Vec<String>>> = std::sync::Arc::default();
        let lines = std::sync::Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line.clone());
                if let Some(port) = line
                    .split("http://127.0.0.1:")
                    .nth(1)
                    .and_then(|rest| rest.split('/').next())
                    .and_then(|port| port.parse::<u16>().ok())
                {
                    let _ = port_found.send(port);
                }
                eprintln!("{line}");
            }
        });
        let port = port
            .recv_timeout(Duration::from_secs(20))
            .expect("the local Lambda says where it listens");
        let local = Local { process, port, log };
        // Ready when this child answers: a GET is refused with 405, by the Invoke API itself.
        let refused = get(port, INVOKE);
        assert_eq!(refused, 405, "the local Lambda on {port} answers");
        local
    }

    /// Waits up to `timeout` for a line of its stderr that contains `text`.
    fn wait_for_line(&self, text: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.log.lock().unwrap().iter().find(|l| l.contains(text)) {
                return line.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no line with {text:?} in {:#?}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn invoke(&self, invocation_type: Option<&str>, payload: impl Into<Bytes>) -> Reply {
        let mut headers = Vec::new();
        if let Some(kind) = invocation_type {
            headers.push((headers::INVOCATION_TYPE, kind.to_owned()));
        }
        post(self.port, INVOKE, &headers, payload.into())
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // The runtime is our child's child: stop it by its pid too, before its parent.
        #[cfg(target_os = "linux")]
        {
            let pid = self.process.id();
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            for child in children.split_whitespace() {
                // It may have exited already (the emulator ends its child itself).
                let _ = Command::new("kill")
                    .arg(child)
                    .stderr(Stdio::null())
                    .status();
            }
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

struct Reply {
    status: u16,
    headers: hyper::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The status of one GET.
fn get(port: u16, path: &str) -> u16 {
    exchange(port, hyper::Method::GET, path, &[], Bytes::new()).status
}

/// One HTTP/1.1 POST.
fn post(port: u16, path: &str, headers: &[(&str, String)], body: Bytes) -> Reply {
    exchange(port, hyper::Method::POST, path, headers, body)
}

/// One HTTP/1.1 exchange with hyper's client.
fn exchange(
    port: u16,
    method: hyper::Method,
    path: &str,
    headers: &[(&str, String)],
    body: Bytes,
) -> Reply {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .unwrap();
        tokio::spawn(connection);
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", format!("127.0.0.1:{port}"));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = sender
            .send_request(request.body(Full::new(body)).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        }
    })
}

/// The Python venv with boto3 and awslambdaric.
fn python() -> &'static Path {
    lambda_handler_tests::python_venv()
}

fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// boto3's view of invoking `function` with each `(invocation type, payload)`.
fn boto3(local: &Local, function: &str, calls: &[(&str, &str)]) -> Vec<Value> {
    let args: Vec<&str> = calls
        .iter()
        .flat_map(|(kind, payload)| [*kind, *payload])
        .collect();
    run_python("invoke_with_boto3.py", local, function, &args)
}

/// boto3's view of `invoke_with_response_stream` of `function` with each payload: per
/// invocation, its status, its chunks with their arrival times, and its `InvokeComplete`.
fn boto3_stream(local: &Local, payloads: &[&str]) -> Vec<Value> {
    run_python("stream_with_boto3.py", local, "function", payloads)
}

/// Runs one of `tests/python`'s scripts against `local`: the JSON lines it prints.
fn run_python(script: &str, local: &Local, function: &str, args: &[&str]) -> Vec<Value> {
    let out = Command::new(python())
        .arg(python_dir().join(script))
        .args([&local.endpoint(), function])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn assert_lambda_semantics_through_boto3(
    local: &Local,
    function: &str,
    failing_event: &str,
    error_type: &str,
) {
    let results = boto3(
        local,
        function,
        &[
            ("RequestResponse", ADA),
            ("Event", ADA),
            ("DryRun", ADA),
            ("RequestResponse", failing_event),
        ],
    );
    assert_eq!(
        results[0],
        json!({"StatusCode": 200, "FunctionError": null, "Payload": {"message": "Hello Ada Lovelace!"}})
    );
    assert_eq!(
        results[1],
        json!({"StatusCode": 202, "FunctionError": null, "Payload": null})
    );
    assert_eq!(
        results[2],
        json!({"StatusCode": 204, "FunctionError": null, "Payload": null})
    );
    assert_eq!(results[3]["StatusCode"], 200);
    assert_eq!(results[3]["FunctionError"], "Unhandled");
    assert_eq!(
        results[3]["Payload"]["errorType"], error_type,
        "{}",
        results[3]
    );
}

#[test]
fn serve_answers_invocations_as_lambda_does() {
    let local = Local::serve(HELLO.path(), &[]);
    let ok = local.invoke(None, ADA);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), json!({"message": "Hello Ada Lovelace!"}));
    assert_eq!(ok.header(headers::FUNCTION_ERROR), None);
    assert_eq!(ok.header(headers::EXECUTED_VERSION), Some("$LATEST"));
    assert_eq!(ok.header(headers::AMZN_REQUEST_ID).map(str::len), Some(36));

    let failed = local.invoke(Some("RequestResponse"), r#"{"first_name":1}"#);
    assert_eq!(failed.status, 200);
    assert_eq!(failed.header(headers::FUNCTION_ERROR), Some("Unhandled"));
    assert_eq!(failed.json()["errorType"], "Runtime.UnmarshalError");

    // No payload is `{}`, as Lambda sends it.
    let empty = local.invoke(None, "");
    assert!(
        empty.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("missing field `first_name`")
    );

    assert_eq!(local.invoke(Some("DryRun"), ADA).status, 204);
    let bad_type = local.invoke(Some("Sometimes"), ADA);
    assert_eq!(
        (bad_type.status, bad_type.header(headers::AMZN_ERROR_TYPE)),
        (400, Some("InvalidParameterValueException"))
    );
    let not_json = local.invoke(None, "{nope");
    assert_eq!(
        (not_json.status, not_json.header(headers::AMZN_ERROR_TYPE)),
        (400, Some("InvalidRequestContentException"))
    );
    let by_name = post(
        local.port,
        "/2015-03-31/functions/hello/invocations",
        &[],
        Bytes::from(ADA),
    );
    assert_eq!(by_name.json(), json!({"message": "Hello Ada Lovelace!"}));
    let unknown = post(
        local.port,
        "/2015-03-31/functions/other/invocations",
        &[],
        Bytes::from(ADA),
    );
    assert_eq!(
        (unknown.status, unknown.header(headers::AMZN_ERROR_TYPE)),
        (404, Some("ResourceNotFoundException"))
    );
}

/// An `Event` invocation is answered 202 while its handler still runs (the handler waits for
/// a file the test writes only after the 202), and then it runs to its end.
#[test]
fn event_invocations_answer_202_at_once_and_still_run() {
    let local = Local::serve(FAULTS.path(), &["--handler", "touch", "--timeout", "30"]);
    let marker =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("event-ran-{}", std::process::id()));
    let gate = marker.with_extension("go");
    let _ = std::fs::remove_file(&marker);
    let _ = std::fs::remove_file(&gate);
    let reply = local.invoke(Some("Event"), serde_json::to_string(&marker).unwrap());
    assert_eq!((reply.status, reply.body.len()), (202, 0));
    assert!(!marker.exists(), "the handler finished before the 202");
    std::fs::write(&gate, "").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&marker).ok().as_deref() != Some("ran") {
        assert!(Instant::now() < deadline, "the Event invocation never ran");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_file(&marker);
    let _ = std::fs::remove_file(&gate);
}

#[test]
fn payload_limits_are_lambdas() {
    let local = Local::serve(FAULTS.path(), &["--handler", "echo"]);
    let json_of = |len: usize| format!("\"{}\"", "z".repeat(len - 2));
    let sync_over = local.invoke(None, json_of(MAX_SYNC_PAYLOAD + 1));
    assert_eq!(
        (sync_over.status, sync_over.header(headers::AMZN_ERROR_TYPE)),
        (413, Some("RequestEntityTooLargeException"))
    );
    assert!(
        sync_over.json()["message"]
            .as_str()
            .unwrap()
            .contains(&format!("{MAX_SYNC_PAYLOAD} bytes"))
    );
    let sync_at = local.invoke(None, json_of(MAX_SYNC_PAYLOAD));
    assert_eq!(
        (sync_at.status, sync_at.body.len()),
        (200, MAX_SYNC_PAYLOAD)
    );
    let event_over = local.invoke(Some("Event"), json_of(MAX_ASYNC_PAYLOAD + 1));
    assert_eq!(
        (
            event_over.status,
            event_over.header(headers::AMZN_ERROR_TYPE)
        ),
        (413, Some("RequestEntityTooLargeException"))
    );
    assert_eq!(
        local
            .invoke(Some("Event"), json_of(MAX_ASYNC_PAYLOAD))
            .status,
        202
    );
}

#[test]
fn a_response_over_six_megabytes_is_lambdas_error() {
    let local = Local::serve(FAULTS.path(), &["--handler", "big"]);
    // A JSON string of n bytes is n + 2 with its quotes: one byte over.
    let reply = local.invoke(None, (MAX_RESPONSE - 1).to_string());
    assert_eq!(reply.header(headers::FUNCTION_ERROR), Some("Unhandled"));
    assert_eq!(reply.json()["errorType"], "Function.ResponseSizeTooLarge");
}

/// The timeout ends the invocation, and Lambda resets the environment: the next invocation
/// is served by a new runtime process (the handler answers with its pid).
#[test]
fn the_timeout_is_enforced_and_the_runtime_restarted() {
    let local = Local::serve(CONCURRENT.path(), &["--handler", "block", "--timeout", "1"]);
    let first = local.invoke(None, r#"{"id": 1}"#).json()["pid"].clone();
    assert!(first.is_u64(), "{first}");
    let started = Instant::now();
    let slow = local.invoke(None, r#"{"id": 2, "sleep_ms": 5000}"#);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(slow.status, 200);
    assert_eq!(slow.header(headers::FUNCTION_ERROR), Some("Unhandled"));
    let body = slow.json();
    assert_eq!(body["errorType"], "Sandbox.Timedout");
    let id = slow.header(headers::AMZN_REQUEST_ID).unwrap();
    assert_eq!(
        body["errorMessage"],
        format!("RequestId: {id} Error: Task timed out after 1.00 seconds")
    );
    let quick = local.invoke(None, r#"{"id": 3}"#).json();
    assert_eq!(quick["id"], 3);
    assert!(
        quick["pid"].is_u64() && quick["pid"] != first,
        "the runtime was not restarted: {first} then {}",
        quick["pid"]
    );
}

#[test]
fn a_runtime_that_exits_fails_its_invocation_and_is_started_again() {
    let local = Local::serve(FAULTS.path(), &["--handler", "exits"]);
    for _ in 0..2 {
        let reply = local.invoke(None, "3");
        assert_eq!(reply.header(headers::FUNCTION_ERROR), Some("Unhandled"));
        let id = reply.header(headers::AMZN_REQUEST_ID).unwrap().to_owned();
        assert_eq!(
            reply.json(),
            json!({"errorType": "Runtime.ExitError", "errorMessage": format!("RequestId: {id} Error: Runtime exited with error: exit status 3")})
        );
    }
}

#[test]
fn an_init_error_is_served_to_the_caller() {
    let local = Local::emulate(&["--handler", "nope"], &[MULTI.path()]);
    for _ in 0..2 {
        let reply = local.invoke(None, ADA);
        assert_eq!(
            (reply.status, reply.header(headers::FUNCTION_ERROR)),
            (200, Some("Unhandled"))
        );
        let body = reply.json();
        assert_eq!(body["errorType"], "Runtime.HandlerNotFound");
        assert!(
            body["errorMessage"]
                .as_str()
                .unwrap()
                .contains("no handler is named `nope`")
        );
    }
}

#[test]
fn invocations_run_one_at_a_time() {
    let local = Local::serve(FAULTS.path(), &["--handler", "sleeps"]);
    let started = Instant::now();
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| local.invoke(None, "300")))
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    assert!(
        replies
            .iter()
            .all(|r| r.status == 200 && r.json() == json!(300))
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "one execution environment: {:?}",
        started.elapsed()
    );
}

/// `--concurrency N`: up to N invocations in flight in one runtime process, as on Lambda
/// Managed Instances; `--serve` and `lambda-emulator` both.
#[test]
fn with_concurrency_invocations_run_at_once_in_one_process() {
    let serve = Local::serve(
        CONCURRENT.path(),
        &["--handler", "wait", "--concurrency", "8"],
    );
    // A blocking synchronous handler, with a thread per loop (`LAMBDA_HANDLER_WORKERS`):
    // eight sleeps at once in one process.
    let mut command = Command::new(EMULATOR.path());
    command
        .args([
            "--port",
            "0",
            "--handler",
            "block",
            "--concurrency",
            "8",
            "--",
        ])
        .arg(CONCURRENT.path())
        .env("LAMBDA_HANDLER_WORKERS", "8");
    let emulate = Local::start(command);
    for local in [&serve, &emulate] {
        let replies: Vec<Reply> = std::thread::scope(|scope| {
            let calls: Vec<_> = (0..32)
                .map(|i| {
                    let body = json!({"id": i, "sleep_ms": 100}).to_string();
                    scope.spawn(move || local.invoke(None, body))
                })
                .collect();
            calls.into_iter().map(|c| c.join().unwrap()).collect()
        });
        let mut request_ids = std::collections::HashSet::new();
        for (i, reply) in replies.iter().enumerate() {
            assert_eq!(reply.status, 200);
            let body = reply.json();
            assert_eq!(body["id"], i, "{body}");
            assert!(request_ids.insert(body["request_id"].to_string()), "{body}");
        }
        // One process served all of them, eight at a time at most, sharing its state.
        let most = replies
            .iter()
            .map(|r| r.json()["most_at_once"].as_u64().unwrap())
            .max();
        assert_eq!(most, Some(8));
        let served = replies
            .iter()
            .map(|r| r.json()["served"].as_u64().unwrap())
            .max();
        assert_eq!(served, Some(32));
    }
    let refused = Command::new(CONCURRENT.path())
        .args(["--serve", "127.0.0.1:0", "--concurrency", "0"])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("1 to 1024"));
}

/// On Lambda Managed Instances a timeout closes the one invocation: the others in flight go on
/// in the same process, and the late answer of the one that timed out is refused with 410
/// `InvokeTimeout` (Managed Instances' rapid), which the runtime logs and serves on.
#[test]
fn with_concurrency_a_timeout_closes_one_invocation_and_keeps_the_process() {
    // A thread per loop: the blocked handler holds up no other invocation.
    let mut command = Command::new(CONCURRENT.path());
    command
        .args(["--serve", "127.0.0.1:0", "--handler", "block"])
        .args(["--concurrency", "4", "--timeout", "1"])
        .env("LAMBDA_HANDLER_WORKERS", "4");
    let local = Local::start(command);
    let (slow, quick) = std::thread::scope(|scope| {
        let slow = scope.spawn(|| local.invoke(None, r#"{"id": 1, "sleep_ms": 2500}"#));
        // Started while the slow one runs, and answered before its deadline.
        std::thread::sleep(Duration::from_millis(200));
        let quick: Vec<Reply> = (2..5)
            .map(|i| local.invoke(None, json!({"id": i, "sleep_ms": 50}).to_string()))
            .collect();
        (slow.join().unwrap(), quick)
    });
    assert_eq!(slow.header(headers::FUNCTION_ERROR), Some("Unhandled"));
    assert_eq!(slow.json()["errorType"], "Sandbox.Timedout");
    let pids: Vec<Value> = quick.iter().map(|r| r.json()["pid"].clone()).collect();
    assert!(pids.iter().all(|p| *p == pids[0] && p.is_u64()), "{pids:?}");
    // The slow handler returns after 2.5 s: its answer is refused, and the loop serves on.
    let slow_id = slow.header(headers::AMZN_REQUEST_ID).unwrap();
    let refused = local.wait_for_line("410 InvokeTimeout", Duration::from_secs(10));
    assert!(refused.contains(slow_id), "{refused}");
    let later = local.invoke(None, r#"{"id": 5}"#);
    assert_eq!(
        later.json()["pid"],
        pids[0],
        "the process was not restarted"
    );
}

/// The emulator's Runtime API refuses what rapid refuses, with rapid's status: an init error
/// after `/next` (403, `initerror.go`), a path it does not serve (404), another method on one
/// it does (405, its router's). An error type outside Lambda's pattern is taken, and the
/// caller gets the error.
#[test]
fn the_runtime_api_refuses_a_runtime_that_breaks_the_protocol() {
    let status_file = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("broken-statuses-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&status_file);
    let mut command = Command::new(EMULATOR.path());
    command
        .args(["--port", "0", "--"])
        .arg(python())
        .arg(python_dir().join("breaks_the_protocol.py"))
        .env("STATUS_FILE", &status_file);
    let local = Local::start(command);
    let reply = local.invoke(None, "{}");
    assert_eq!(reply.header(headers::FUNCTION_ERROR), Some("Unhandled"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let statuses: Value = loop {
        if let Ok(text) = std::fs::read_to_string(&status_file) {
            break serde_json::from_str(&text).unwrap();
        }
        assert!(Instant::now() < deadline, "no {}", status_file.display());
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = std::fs::remove_file(&status_file);
    assert_eq!(
        statuses,
        json!({
            "bad_error_type": 202,
            "init_error_after_next": 403,
            "unknown_path": 404,
            "post_next": 405,
        })
    );
}

/// With a concurrency of N, the Runtime API hands out no more than N invocations at once,
/// however many `/next` requests a runtime has open (here a Python runtime with three, at a
/// concurrency of two).
#[test]
fn with_concurrency_no_more_than_that_many_invocations_are_handed_out() {
    let held = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("most-held-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&held);
    let mut command = Command::new(EMULATOR.path());
    command
        .args(["--port", "0", "--concurrency", "2", "--"])
        .arg(python())
        .arg(python_dir().join("three_nexts.py"))
        .env("HELD_FILE", &held);
    let local = &Local::start(command);
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..6)
            .map(|i: u64| scope.spawn(move || local.invoke(None, i.to_string())))
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    let mut answered: Vec<Value> = replies.iter().map(Reply::json).collect();
    answered.sort_by_key(|v| v.as_u64());
    assert_eq!(answered, (0..6).map(|i| json!(i)).collect::<Vec<_>>());
    let most: Value = serde_json::from_str(&std::fs::read_to_string(&held).unwrap()).unwrap();
    assert_eq!(most, json!(2), "invocations the runtime held at once");
}

/// `InvokeWithResponseStream` through boto3: chunks arrive as the function streams them, and
/// an error mid-stream surfaces in `InvokeComplete`, as Lambda's event stream carries them.
#[test]
fn boto3_reads_a_streamed_response_and_a_mid_stream_error() {
    let local = Local::serve(STREAMING.path(), &["--handler", "lines"]);
    let results = boto3_stream(
        &local,
        &[
            r#"{"lines": 3, "delay_ms": 300}"#,
            r#"{"lines": 5, "fail_after": 2}"#,
        ],
    );
    let streamed = &results[0];
    assert_eq!(streamed["StatusCode"], 200);
    let chunks = streamed["Chunks"].as_array().unwrap();
    let text: Vec<&str> = chunks.iter().map(|c| c[1].as_str().unwrap()).collect();
    assert_eq!(text, ["line 0\n", "line 1\n", "line 2\n"]);
    // Streamed, not gathered: the first line arrives a line's delay before the last.
    let (first, last) = (
        chunks[0][0].as_f64().unwrap(),
        chunks[2][0].as_f64().unwrap(),
    );
    assert!(last - first >= 0.5, "{chunks:?}");
    let complete = &streamed["InvokeComplete"];
    assert!(complete.get("ErrorCode").is_none(), "{complete}");
    let log = complete["LogResult"].as_str().unwrap();
    assert!(
        log.starts_with("START RequestId: ") && log.contains("REPORT RequestId: "),
        "{log}"
    );

    let broken = &results[1];
    let text: Vec<&str> = broken["Chunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[1].as_str().unwrap())
        .collect();
    assert_eq!(text, ["line 0\n", "line 1\n"]);
    let complete = &broken["InvokeComplete"];
    assert_eq!(complete["ErrorCode"], "Function.SourceFailed", "{complete}");
    let details: Value = serde_json::from_str(complete["ErrorDetails"].as_str().unwrap()).unwrap();
    assert_eq!(details["errorMessage"], "the source failed after line 2");

    // A function that does not stream, invoked with a stream: its response is one chunk.
    let hello = Local::serve(HELLO.path(), &[]);
    let one = &boto3_stream(&hello, &[ADA])[0];
    assert_eq!(
        one["Chunks"][0][1], r#"{"message":"Hello Ada Lovelace!"}"#,
        "{one}"
    );
    assert_eq!(one["Chunks"].as_array().unwrap().len(), 1);

    // A buffered `Invoke` of the same function gets the whole response, or the error.
    let whole = local.invoke(None, r#"{"lines": 2}"#);
    assert_eq!(whole.status, 200);
    assert_eq!(&whole.body[..], b"line 0\nline 1\n");
    let failed = local.invoke(None, r#"{"lines": 3, "fail_after": 1}"#);
    assert_eq!(failed.header(headers::FUNCTION_ERROR), Some("Unhandled"));
    assert_eq!(failed.json()["errorType"], "SourceFailed");
}

/// The function timeout cuts a streaming response off, as Lambda does: the caller keeps what
/// was streamed and `InvokeComplete` reports `Sandbox.Timedout`; the runtime is restarted.
#[test]
fn the_timeout_cuts_a_streamed_response_off() {
    let local = Local::serve(STREAMING.path(), &["--handler", "lines", "--timeout", "1"]);
    let results = boto3_stream(
        &local,
        &[r#"{"lines": 20, "delay_ms": 300}"#, r#"{"lines": 1}"#],
    );
    let cut = &results[0];
    // A line every 300 ms from the handler's start, cut at 1 s from the hand-out: lines 0 to 2
    // make it; a fifth line (1.5 s in) would mean the cut came late.
    let streamed = cut["Chunks"].as_array().unwrap().len();
    assert!((1..=4).contains(&streamed), "{cut}");
    assert_eq!(
        cut["InvokeComplete"]["ErrorCode"], "Sandbox.Timedout",
        "{cut}"
    );
    let details = cut["InvokeComplete"]["ErrorDetails"].as_str().unwrap();
    assert!(
        details.contains("Task timed out after 1.00 seconds"),
        "{details}"
    );
    // The next invocation gets a new runtime and its whole response.
    assert_eq!(results[1]["Chunks"][0][1], "line 0\n", "{}", results[1]);
    assert!(results[1]["InvokeComplete"].get("ErrorCode").is_none());
}

/// After a timeout the runtime is killed and started again, and the killed one is handed
/// nothing more, even when it asks for `/next` after its kill (here it outlives the kill: only
/// the shell it runs under dies, so its request is certain to arrive): the next invocation
/// goes to the new runtime, as Lambda's reset environment guarantees.
#[test]
fn a_killed_runtime_is_handed_no_invocation() {
    let asking = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("killed-asking-{}.pid", std::process::id()));
    let _ = std::fs::remove_file(&asking);
    let script = python_dir().join("outlives_its_kill.py");
    let mut command = Command::new(EMULATOR.path());
    command
        .args(["--port", "0", "--timeout", "1", "--", "sh", "-c"])
        .arg(format!(
            "'{}' '{}' & wait",
            python().display(),
            script.display()
        ))
        .env("ASKING_FILE", &asking);
    let local = Local::start(command);
    let timed_out = local.invoke(None, r#""sleep""#);
    assert_eq!(timed_out.json()["errorType"], "Sandbox.Timedout");
    // The killed runtime's `/next` is in: it wrote the file just before sending it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !asking.exists() {
        assert!(
            Instant::now() < deadline,
            "the killed runtime never asked again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let killed_pid: u32 = std::fs::read_to_string(&asking).unwrap().parse().unwrap();
    let _ = std::fs::remove_file(&asking);
    let served = local.invoke(None, r#""hello""#).json();
    assert!(
        served["pid"]
            .as_u64()
            .is_some_and(|pid| pid != u64::from(killed_pid)),
        "the invocation after a timeout went to {served} (the killed runtime is {killed_pid})"
    );
}

/// Runs `answers_twice.py` under the emulator (with `RESPONSE_MODE` for its first answer when
/// given): what the caller got, and the statuses and request the runtime recorded.
fn answered_twice(response_mode: Option<&str>) -> (Reply, Value) {
    let answers = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "answers-{}-{}.json",
        std::process::id(),
        response_mode.unwrap_or("none")
    ));
    let _ = std::fs::remove_file(&answers);
    let mut command = Command::new(EMULATOR.path());
    command
        .args(["--port", "0", "--"])
        .arg(python())
        .arg(python_dir().join("answers_twice.py"))
        .env("ANSWERS_FILE", &answers);
    if let Some(mode) = response_mode {
        command.env("RESPONSE_MODE", mode);
    }
    let local = Local::start(command);
    let reply = local.invoke(None, r#"{"n":1}"#);
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen: Value = loop {
        if let Ok(text) = std::fs::read_to_string(&answers) {
            break serde_json::from_str(&text).unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the runtime never recorded its answers"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    (reply, seen)
}

#[test]
fn the_runtime_api_refuses_a_second_answer_and_sends_the_content_type() {
    let (reply, seen) = answered_twice(None);
    assert_eq!(reply.json(), json!("first"));
    // The second answer gets rapid's 403 InvalidStateTransition, as on Lambda.
    assert_eq!(
        seen,
        json!({"statuses": [202, 403], "content_type": "application/json", "event": {"n": 1}})
    );
}

/// A response mode rapid does not know fails the invocation for its caller with
/// `Runtime.InvalidResponseModeHeader`, and the runtime gets 400 `InvalidFunctionResponseMode`
/// (RIE's `invocationresponse.go`); the invocation is then closed. `buffered` is refused too,
/// as Lambda Managed Instances' rapid refuses it.
#[test]
fn a_response_in_an_unknown_mode_fails_the_invocation_as_rapid_does() {
    let (reply, seen) = answered_twice(Some("buffered"));
    assert_eq!(reply.header(headers::FUNCTION_ERROR), Some("Unhandled"));
    assert_eq!(
        reply.json()["errorType"],
        lambda_handler_protocol::error_types::RUNTIME_INVALID_RESPONSE_MODE
    );
    assert_eq!(seen["statuses"], json!([400, 403]), "{seen}");
}

#[test]
fn the_emulator_gives_the_runtime_lambdas_environment_and_headers() {
    let local = Local::emulate(
        &[
            "--function-name",
            "my-fn",
            "--memory",
            "256",
            "--timeout",
            "5",
        ],
        &[CONTEXT.path()],
    );
    // {"custom":{"k":"v"},"client":{"app_title":"App"}}, base64, as SDKs send it.
    let client_context = "eyJjdXN0b20iOnsiayI6InYifSwiY2xpZW50Ijp7ImFwcF90aXRsZSI6IkFwcCJ9fQ==";
    let reply = post(
        local.port,
        "/2015-03-31/functions/my-fn/invocations",
        &[
            (headers::CLIENT_CONTEXT_B64, client_context.into()),
            (headers::TENANT_ID_REQUEST, "tenant-9".into()),
        ],
        Bytes::from("[1]"),
    );
    let ctx = reply.json();
    assert_eq!(
        ctx["request_id"],
        reply.header(headers::AMZN_REQUEST_ID).unwrap()
    );
    assert_eq!(ctx["function_name"], "my-fn");
    assert_eq!(ctx["memory_limit_in_mb"], 256);
    assert_eq!(ctx["function_version"], "$LATEST");
    assert_eq!(ctx["log_group_name"], "/aws/lambda/my-fn");
    assert!(
        ctx["invoked_function_arn"]
            .as_str()
            .unwrap()
            .ends_with(":function:my-fn")
    );
    let remaining = ctx["remaining_ms"].as_u64().unwrap();
    assert!((3_000..=5_000).contains(&remaining), "{remaining}");
    assert!(
        ctx["xray_trace_id"]
            .as_str()
            .unwrap()
            .starts_with("Root=1-")
    );
    assert_eq!(ctx["client_app_title"], "App");
    assert_eq!(ctx["tenant_id"], "tenant-9");
    assert_eq!(ctx["event"], json!([1]));

    // Not base64, or base64 of something other than a JSON object: Lambda's 400.
    for bad in ["not base64!", "WzFd"] {
        let refused = post(
            local.port,
            INVOKE,
            &[(headers::CLIENT_CONTEXT_B64, bad.into())],
            Bytes::from("[1]"),
        );
        assert_eq!(
            (refused.status, refused.header(headers::AMZN_ERROR_TYPE)),
            (400, Some("InvalidRequestContentException")),
            "{bad}"
        );
        assert_eq!(
            refused.json()["message"],
            "Client context must be a valid Base64-encoded JSON object."
        );
    }
}

#[test]
fn timeouts_outside_lambdas_range_are_usage_errors() {
    for seconds in ["0", "901", "18446744073709551615"] {
        let serve = Command::new(HELLO.path())
            .args(["--serve", "127.0.0.1:0", "--timeout", seconds])
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .output()
            .unwrap();
        let emulate = Command::new(EMULATOR.path())
            .args(["--port", "0", "--timeout", seconds, "--", HELLO.path()])
            .output()
            .unwrap();
        for out in [serve, emulate] {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{seconds}: {stderr}");
            assert!(
                stderr.contains(&format!(
                    "`--timeout {seconds}`: a function timeout is 1 to 900 seconds"
                )),
                "{stderr}"
            );
        }
    }
}

#[test]
fn serve_runs_the_init_once_for_every_invocation() {
    let mut command = Command::new(STATE.path());
    command
        .args(["--serve", "127.0.0.1:0", "--handler", "greet"])
        .env("TABLE_NAME", "served");
    let local = Local::start(command);
    for name in ["Ada", "Grace"] {
        let reply = local.invoke(None, format!(r#"{{"first_name":"{name}"}}"#));
        let body = reply.json();
        assert_eq!(body["message"], format!("Hello {name}!"));
        assert_eq!(
            (body["table"].clone(), body["inits"].clone()),
            (json!("served"), json!(1))
        );
    }
}

#[test]
fn boto3_reads_the_tail_of_an_invocations_log() {
    let mut command = Command::new(LOGS.path());
    command.args(["--serve", "127.0.0.1:0"]);
    let local = Local::start(command);
    let results = boto3(
        &local,
        "function",
        &[
            ("RequestResponse+Tail", r#"{"order_id": 5, "items": 1}"#),
            ("RequestResponse+Tail", r#"{"order_id": 6, "items": 0}"#),
            ("RequestResponse", r#"{"order_id": 7, "items": 1}"#),
        ],
    );
    for (result, order) in results[..2].iter().zip([5, 6]) {
        let id = result["RequestId"].as_str().unwrap();
        let log = result["Log"]
            .as_str()
            .unwrap_or_else(|| panic!("no log: {result}"));
        // Lambda's own lines around what the invocation wrote, and nothing of another's.
        assert!(
            log.starts_with(&format!("START RequestId: {id} Version: $LATEST\n")),
            "{log}"
        );
        assert!(
            log.contains(&format!("\t{id}\tplacing the order order_id={order}")),
            "{log}"
        );
        assert!(
            log.contains(&format!(
                "END RequestId: {id}\nREPORT RequestId: {id}\tDuration: "
            )),
            "{log}"
        );
        assert!(
            log.contains("Memory Size: 128 MB\tMax Memory Used: "),
            "{log}"
        );
        assert_eq!(log.matches("START RequestId").count(), 1, "{log}");
    }
    assert!(
        results[1]["Log"]
            .as_str()
            .unwrap()
            .contains("refusing an empty order")
    );
    assert_eq!(results[1]["FunctionError"], "Unhandled");
    assert_eq!(results[2].get("Log"), None);
}

#[test]
fn boto3_invokes_hello_under_serve() {
    let local = Local::serve(HELLO.path(), &[]);
    assert_lambda_semantics_through_boto3(
        &local,
        "function",
        r#"{"first_name":1}"#,
        "Runtime.UnmarshalError",
    );
}

/// The README's AWS CLI (version 1) command, as written there, against `--serve`: the result
/// lands in the output file, and the CLI prints Lambda's status.
#[test]
fn the_aws_cli_invokes_hello_under_serve() {
    let local = Local::serve(HELLO.path(), &[]);
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("aws-cli-out-{}.json", std::process::id()));
    let aws = python().parent().unwrap().join("aws");
    let printed = Command::new(aws)
        .args(["lambda", "invoke", "--endpoint-url"])
        .arg(format!("http://localhost:{}", local.port))
        .args(["--function-name", "function", "--payload", ADA])
        .arg(&out)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(printed.status.success(), "{printed:?}");
    let printed: Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(printed["StatusCode"], 200, "{printed}");
    let result: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let _ = std::fs::remove_file(&out);
    assert_eq!(result, json!({"message": "Hello Ada Lovelace!"}));
}

#[test]
fn boto3_invokes_hello_under_the_emulator() {
    let local = Local::emulate(&[], &[HELLO.path()]);
    assert_lambda_semantics_through_boto3(&local, "hello", "{}", "Runtime.UnmarshalError");
}

#[test]
fn boto3_invokes_a_python_function_under_the_emulator() {
    let python = python().to_str().unwrap().to_owned();
    let mut command = Command::new(EMULATOR.path());
    command
        .args([
            "--port",
            "0",
            "--function-name",
            "py",
            "--",
            &python,
            "-m",
            "awslambdaric",
            "app.my_handler",
        ])
        .current_dir(python_dir());
    let local = Local::start(command);
    assert_lambda_semantics_through_boto3(&local, "py", "{}", "KeyError");
}

/// The tail of a timed-out invocation's log reads as Lambda writes it (`Task timed out after
/// 1.00 seconds`, then `END` and a `REPORT` with `Status: timeout` and the memory the process
/// held); with `AWS_LAMBDA_LOG_FORMAT=JSON`, the platform's lines are Lambda's JSON events.
#[test]
fn the_log_tail_has_lambdas_platform_lines_in_the_functions_format() {
    let tail = |local: &Local, payload: &str| -> (Reply, String) {
        let reply = post(
            local.port,
            INVOKE,
            &[(headers::LOG_TYPE, "Tail".into())],
            Bytes::from(payload.to_owned()),
        );
        let log = reply.header(headers::LOG_RESULT).unwrap();
        let log = base64::engine::general_purpose::STANDARD
            .decode(log)
            .unwrap();
        (reply, String::from_utf8(log).unwrap())
    };
    let local = Local::serve(FAULTS.path(), &["--handler", "sleeps", "--timeout", "1"]);
    let (reply, log) = tail(&local, "3000");
    let id = reply.header(headers::AMZN_REQUEST_ID).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines[0],
        format!("START RequestId: {id} Version: $LATEST"),
        "{log}"
    );
    let timed_out = lines[1];
    assert!(
        timed_out.ends_with(&format!("Z {id} Task timed out after 1.00 seconds")),
        "{log}"
    );
    let report = lines.iter().find(|l| l.starts_with("REPORT")).unwrap();
    assert!(report.ends_with("MB\tStatus: timeout"), "{report}");
    assert!(!report.contains("Max Memory Used: 0 MB"), "{report}");

    let mut command = Command::new(FAULTS.path());
    command
        .args(["--serve", "127.0.0.1:0", "--handler", "sleeps"])
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON");
    let local = Local::start(command);
    let (reply, log) = tail(&local, "10");
    let id = reply.header(headers::AMZN_REQUEST_ID).unwrap();
    let events: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events[0]["type"], "platform.start", "{log}");
    assert_eq!(events[0]["record"]["requestId"], id);
    let report = events.last().unwrap();
    assert_eq!(report["type"], "platform.report", "{log}");
    assert_eq!(report["record"]["status"], "success");
    assert_eq!(report["record"]["metrics"]["memorySizeMB"], 128);
    assert!(
        report["record"]["metrics"]["maxMemoryUsedMB"].as_u64() > Some(0),
        "{log}"
    );
    assert!(report["time"].as_str().unwrap().ends_with('Z'));
}

/// The function timeout: `--timeout`, else `AWS_LAMBDA_FUNCTION_TIMEOUT`, else Lambda's 3 s.
#[test]
fn the_timeout_is_the_flag_else_the_environment_else_3_s() {
    let timed_out_after = |local: &Local, ms: &'static str| -> Option<String> {
        let reply = local.invoke(None, ms);
        let body = reply.json();
        (body["errorType"] == "Sandbox.Timedout")
            .then(|| body["errorMessage"].as_str().unwrap().to_owned())
    };
    let local = Local::serve(FAULTS.path(), &["--handler", "sleeps"]);
    let message = timed_out_after(&local, "3500").expect("timed out");
    assert!(
        message.ends_with("Task timed out after 3.00 seconds"),
        "{message}"
    );

    let with_env = |args: &[&str]| {
        let mut command = Command::new(FAULTS.path());
        command
            .args(["--serve", "127.0.0.1:0", "--handler", "sleeps"])
            .args(args)
            .env(lambda_handler_protocol::env::FUNCTION_TIMEOUT, "1");
        Local::start(command)
    };
    let local = with_env(&[]);
    let message = timed_out_after(&local, "1500").expect("timed out");
    assert!(
        message.ends_with("Task timed out after 1.00 seconds"),
        "{message}"
    );
    let local = with_env(&["--timeout", "5"]);
    assert_eq!(timed_out_after(&local, "1500"), None);
}

/// `X-Amz-Log-Type: Tail` returns the last 4 KB of the invocation's log, Lambda's own lines
/// included: a 10 KB log is cut at its start, and ends with `END` and `REPORT`.
#[test]
fn the_log_tail_is_the_last_4_kb() {
    let local = Local::serve(FAULTS.path(), &["--handler", "prints"]);
    let reply = post(
        local.port,
        INVOKE,
        &[(headers::LOG_TYPE, "Tail".into())],
        Bytes::from_static(b"100"),
    );
    assert_eq!(reply.json(), json!(100));
    let id = reply.header(headers::AMZN_REQUEST_ID).unwrap();
    let log = base64::engine::general_purpose::STANDARD
        .decode(reply.header(headers::LOG_RESULT).unwrap())
        .unwrap();
    assert_eq!(log.len(), 4096);
    let log = String::from_utf8(log).unwrap();
    assert!(log.contains(&format!("{:<99}\n", "line 99")), "{log}");
    assert!(!log.contains("line 0 ") && !log.contains("START"), "{log}");
    let tail: Vec<&str> = log.lines().rev().take(2).collect();
    assert!(
        tail[1].starts_with(&format!("END RequestId: {id}")),
        "{log}"
    );
    assert!(
        tail[0].starts_with(&format!("REPORT RequestId: {id}")),
        "{log}"
    );
}

/// The local function URL: any method on `/lambda-url/function/{path}` reaches the function
/// as a function URL's payload format 2.0 event, which `aws_lambda_events` decodes (the
/// `apigw_http` example takes `ApiGatewayV2httpRequest`), and its response object comes back
/// as the HTTP response.
#[test]
fn the_function_url_serves_an_http_api_handler() {
    let local = Local::serve(APIGW_HTTP.path(), &[]);
    let hello = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/function/hello?name=Ada",
        &[],
        Bytes::new(),
    );
    assert_eq!(hello.status, 200);
    assert_eq!(hello.header("content-type"), Some("application/json"));
    assert_eq!(hello.json()["message"], "Hello Ada!");
    let missing = exchange(
        local.port,
        hyper::Method::DELETE,
        "/lambda-url/function/orders/7",
        &[],
        Bytes::new(),
    );
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["message"], "no route for DELETE /orders/7");
    let elsewhere = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/other/",
        &[],
        Bytes::new(),
    );
    assert_eq!(elsewhere.status, 404);
}

/// A handler over `http::Request` and `http::Response` behind the local function URL: the
/// request as the caller sent it (path, query in order, repeated headers, cookies, a binary
/// body), and the response as the handler built it (repeated headers, two cookies, a 404, a
/// binary body).
#[test]
fn the_function_url_serves_an_http_handler_as_the_caller_sent_it() {
    let local = Local::serve(HTTP_API.path(), &["--handler", "http_api"]);
    let echoed = exchange(
        local.port,
        hyper::Method::PUT,
        "/lambda-url/function/echo/x%20y?b=2&a=1&b=3",
        &[
            ("cookie", "one=1; two=2".to_owned()),
            ("x-multi", "first".to_owned()),
            ("content-type", "application/octet-stream".to_owned()),
        ],
        Bytes::from_static(b"\x00\xffbytes"),
    );
    assert_eq!(echoed.status, 200);
    assert_eq!(echoed.header("x-multi"), Some("a, b"));
    let cookies: Vec<_> = echoed.headers.get_all("set-cookie").iter().collect();
    assert_eq!(
        cookies,
        [
            "first=1; Path=/",
            "second=2; Expires=Wed, 21 Oct 2026 07:28:00 GMT"
        ]
    );
    let seen = echoed.json();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["path"], "/echo/x%20y");
    assert_eq!(seen["query"], "b=2&a=1&b=3");
    assert_eq!(seen["source"], "FunctionUrl");
    assert_eq!(seen["body_len"], 7);
    let headers = seen["headers"].as_array().unwrap();
    assert!(
        headers.contains(&json!(["cookie", "one=1; two=2"])),
        "{seen}"
    );
    assert!(headers.contains(&json!(["x-multi", "first"])), "{seen}");

    let missing = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/function/missing",
        &[],
        Bytes::new(),
    );
    assert_eq!(missing.status, 404);
    assert_eq!(&missing.body[..], b"no such page");
    drop(local);

    let local = Local::serve(HTTP_API.path(), &["--handler", "http_stream"]);
    let streamed = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/function/?q=1",
        &[],
        Bytes::new(),
    );
    assert_eq!(streamed.status, 202);
    assert_eq!(streamed.header("content-type"), Some("text/html"));
    let cookies: Vec<_> = streamed.headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(&streamed.body[..], b"<p>first</p><p>q=1</p>");
    drop(local);

    let local = Local::serve(HTTP_API.path(), &["--handler", "http_png"]);
    let png = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/function/",
        &[],
        Bytes::new(),
    );
    assert_eq!(png.status, 200);
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert_eq!(&png.body[..], [0x89, b'P', b'N', b'G', 0, 0xff]);
}

/// An axum Router behind the local function URL, as a team developing an API uses it.
#[test]
fn the_function_url_serves_an_axum_router() {
    let local = Local::serve(AXUM_API.path(), &[]);
    let hello = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/function/hello/Ada%20L?greeting=Hi",
        &[],
        Bytes::new(),
    );
    assert_eq!(hello.status, 200);
    assert_eq!(hello.json(), json!({"message": "Hi Ada L!"}));
    for expected_id in [1, 2] {
        let created = exchange(
            local.port,
            hyper::Method::POST,
            "/lambda-url/function/orders",
            &[("content-type", "application/json".to_owned())],
            Bytes::from_static(br#"{"item": "tea"}"#),
        );
        assert_eq!(created.status, 201);
        // The Router's state is built once: ids go on across invocations.
        assert_eq!(created.json()["id"], expected_id);
        assert_eq!(
            created.header("location"),
            Some(format!("/orders/{expected_id}").as_str())
        );
        assert_eq!(created.headers.get_all("set-cookie").iter().count(), 2);
    }
    let missing = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/function/nowhere",
        &[],
        Bytes::new(),
    );
    assert_eq!(missing.status, 404);
}

/// What the function receives from its URL, and how each kind of answer comes back: JSON
/// without a `statusCode` is a 200 of JSON, a response object is the response (cookies as
/// `set-cookie`, a base64 body decoded), a failure or a response that is not one is a 502.
#[test]
fn the_function_url_maps_requests_and_answers_as_lambda_does() {
    let mut command = Command::new(EMULATOR.path());
    command
        .args(["--port", "0", "--"])
        .arg(python())
        .arg(python_dir().join("url_runtime.py"));
    let local = Local::start(command);
    let echoed = exchange(
        local.port,
        hyper::Method::POST,
        "/lambda-url/function/orders/7?a=1&a=2&name=Ada%20L",
        &[
            ("content-type", "image/png".to_owned()),
            ("cookie", "one=1; two=2".to_owned()),
            ("x-multi", "a".to_owned()),
            ("user-agent", "test-agent".to_owned()),
        ],
        Bytes::from_static(b"\x89PNG"),
    );
    assert_eq!(echoed.status, 200);
    assert_eq!(echoed.header("content-type"), Some("application/json"));
    let event = echoed.json();
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["rawPath"], "/orders/7");
    assert_eq!(event["rawQueryString"], "a=1&a=2&name=Ada%20L");
    assert_eq!(
        event["queryStringParameters"],
        json!({"a": "1,2", "name": "Ada L"})
    );
    assert_eq!(event["cookies"], json!(["one=1", "two=2"]));
    assert_eq!(event["headers"]["x-multi"], "a");
    assert_eq!(event["body"], "iVBORw==");
    assert_eq!(event["isBase64Encoded"], true);
    assert_eq!(event["requestContext"]["http"]["method"], "POST");
    assert_eq!(event["requestContext"]["http"]["userAgent"], "test-agent");
    assert_eq!(event["requestContext"]["http"]["sourceIp"], "127.0.0.1");

    let created = exchange(
        local.port,
        hyper::Method::PUT,
        "/lambda-url/function/created",
        &[],
        Bytes::new(),
    );
    assert_eq!(created.status, 201);
    assert_eq!(created.header("x-custom"), Some("yes"));
    let cookies: Vec<&str> = created
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["a=1; Max-Age=60", "b=2"]);
    assert_eq!(&created.body[..], b"\x00\x01binary");

    let text = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/function/text",
        &[],
        Bytes::new(),
    );
    assert_eq!(
        (text.status, &text.body[..]),
        (200, &br#""Hello, world!""#[..])
    );
    for path in [
        "/lambda-url/function/boom",
        "/lambda-url/function/bad-status",
    ] {
        let failed = exchange(local.port, hyper::Method::GET, path, &[], Bytes::new());
        assert_eq!(failed.status, 502, "{path}");
    }
}

/// A function that streams its page behind its URL (`Streaming::http_response`): the status,
/// headers and cookies of its prelude are the response's, and the body is what it streams.
#[test]
fn the_function_url_streams_a_streamed_response() {
    let local = Local::serve(STREAMING.path(), &["--handler", "page"]);
    let page = exchange(
        local.port,
        hyper::Method::GET,
        "/lambda-url/function/",
        &[],
        Bytes::new(),
    );
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html"));
    assert_eq!(page.header("cache-control"), Some("no-store, private"));
    let cookies: Vec<&str> = page
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(cookies, ["session=1; Secure", "theme=dark"]);
    assert_eq!(&page.body[..], b"<html><body><p>streamed</p></body></html>");
    // A stream without the prelude: a 200 under the stream's own content type.
    let plain = Local::serve(STREAMING.path(), &["--handler", "plain"]);
    let streamed = exchange(
        plain.port,
        hyper::Method::GET,
        "/lambda-url/function/feed",
        &[],
        Bytes::new(),
    );
    assert_eq!(streamed.status, 200);
    assert_eq!(streamed.header("content-type"), Some("text/plain"));
    assert_eq!(&streamed.body[..], b"path: /feed\ndone\n");
}
