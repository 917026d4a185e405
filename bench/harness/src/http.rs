//! `cargo run --release -- http [RUNS]`: the HTTP row. One axum Router (`bench/http-router`)
//! served by lambda-handler (`call_service`, the README's "HTTP APIs") and by lambda_http 1.3
//! (`lambda_http::run`, its README's way), both built with the `bootstrap` profile, answering
//! an API Gateway HTTP API request (payload 2.0, as AWS documents it) routed through axum's
//! path and query extractors. Pinned to one core as the main table is; the two alternate in
//! each run.

use std::path::Path;

use hyper::body::Bytes;

use crate::server::Server;
use crate::stats::median;
use crate::{WAIT, cargo_build, cold_start, cpu_ns, file_mb, peak_rss_kib, spawn, stop};

/// An HTTP API request for `GET /hello/Ada?greeting=Hi`, with the headers and request context
/// API Gateway sends (its documented sample, routed here).
const EVENT: &str = r#"{"version":"2.0","routeKey":"$default","rawPath":"/hello/Ada","rawQueryString":"greeting=Hi","cookies":["session=abc123","theme=dark"],"headers":{"accept":"application/json","accept-encoding":"gzip, deflate, br","content-length":"0","host":"r3pmxmplak.execute-api.us-east-2.amazonaws.com","user-agent":"curl/8.5.0","x-amzn-trace-id":"Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e","x-forwarded-for":"205.255.255.176","x-forwarded-port":"443","x-forwarded-proto":"https"},"queryStringParameters":{"greeting":"Hi"},"requestContext":{"accountId":"123456789012","apiId":"r3pmxmplak","domainName":"r3pmxmplak.execute-api.us-east-2.amazonaws.com","domainPrefix":"r3pmxmplak","http":{"method":"GET","path":"/hello/Ada","protocol":"HTTP/1.1","sourceIp":"205.255.255.176","userAgent":"curl/8.5.0"},"requestId":"JKJaXmPLvHcESHA=","routeKey":"$default","stage":"$default","time":"10/Mar/2020:05:16:23 +0000","timeEpoch":1583817383220},"isBase64Encoded":false}"#;

const SUBJECTS: [(&str, &str, &str); 2] = [
    (
        "lambda-handler",
        "bench-http-ours",
        "target/bootstrap/http-ours",
    ),
    (
        "lambda_http",
        "bench-http-lambda-http",
        "target/bootstrap/http-lambda-http",
    ),
];

const INVOCATIONS: usize = 10_000;

#[derive(Default)]
struct Samples {
    cpu_us: Vec<f64>,
    cold_ms: Vec<f64>,
    rss_mb: Vec<f64>,
}

pub(crate) fn run(root: &Path, runs: usize) {
    eprintln!("building the HTTP handlers ...");
    for (_, package, _) in SUBJECTS {
        cargo_build(root, "bootstrap", package, &[], None);
    }
    let event = Bytes::from_static(EVENT.as_bytes());
    let mut server = Server::start();
    let mut samples = [Samples::default(), Samples::default()];
    for run in 0..runs {
        for s in [run % 2, 1 - run % 2] {
            let binary = root.join(SUBJECTS[s].2);
            let (cpu_us, rss_mb) = measure(&mut server, &binary, &event);
            samples[s].cpu_us.push(cpu_us);
            samples[s].rss_mb.push(rss_mb);
        }
        for round in 0..10 {
            for s in [round % 2, 1 - round % 2] {
                let binary = root.join(SUBJECTS[s].2);
                samples[s]
                    .cold_ms
                    .push(cold_start(&mut server, &binary, false).0);
            }
        }
        eprintln!("run {} of {runs} done", run + 1);
    }
    let [ours, theirs] = &samples;
    let size = |s: usize| file_mb(&root.join(SUBJECTS[s].2));
    println!(
        "HTTP API request through one axum Router, {runs} runs of {INVOCATIONS} invocations, medians (lambda-handler / lambda_http 1.3, ratio):"
    );
    println!("| figure | lambda-handler | lambda_http | ratio |");
    println!("|---|---|---|---|");
    let row = |name: &str, ours: f64, theirs: f64, unit: &str| {
        println!(
            "| {name} | {ours:.2} {unit} | {theirs:.2} {unit} | {:.2}x |",
            ours / theirs
        );
    };
    row(
        "handler CPU per invocation",
        median(&ours.cpu_us),
        median(&theirs.cpu_us),
        "µs",
    );
    row(
        "exec to first GET next",
        median(&ours.cold_ms),
        median(&theirs.cold_ms),
        "ms",
    );
    row(
        "peak RSS",
        median(&ours.rss_mb),
        median(&theirs.rss_mb),
        "MB",
    );
    row("stripped binary", size(0), size(1), "MB");
    println!(
        "per run, CPU µs: lambda-handler {:?}, lambda_http {:?}",
        rounded(&ours.cpu_us),
        rounded(&theirs.cpu_us)
    );
}

fn rounded(values: &[f64]) -> Vec<f64> {
    values.iter().map(|v| (v * 10.0).round() / 10.0).collect()
}

/// CPU per invocation after a warm-up, and the peak resident set, of one process; every
/// answer checked to be the Router's.
fn measure(server: &mut Server, binary: &Path, event: &Bytes) -> (f64, f64) {
    server.reset();
    let warm_up = INVOCATIONS / 10;
    server.push(event, warm_up);
    let mut child = spawn(binary, server);
    let pid = child.id();
    server.wait_answers(warm_up, WAIT);
    let first = server
        .with_log(|log| log.first_body.clone())
        .unwrap_or_default();
    let first = String::from_utf8_lossy(&first);
    assert!(first.contains(r#""statusCode":200"#), "{first}");
    assert!(
        first.contains(r#""body":"{\"message\":\"Hi Ada!\"}""#),
        "{first}"
    );
    let cpu_before = cpu_ns(pid);
    server.push(event, INVOCATIONS);
    server.wait_answers(warm_up + INVOCATIONS, WAIT);
    let cpu_us = (cpu_ns(pid) - cpu_before) as f64 / 1e3 / INVOCATIONS as f64;
    let rss_mb = peak_rss_kib(pid) / 1024.0;
    assert_eq!(
        server.with_log(|log| log.failures),
        0,
        "{}",
        binary.display()
    );
    stop(&mut child);
    (cpu_us, rss_mb)
}

/// `cargo run --release -- http-diff`: the same Router on both runtimes, given each HTTP
/// source's sample event (`aws_lambda_events`' fixtures, where Cargo unpacked the version
/// lambda_http depends on) routed to `/echo`: prints, per source, every field of the answer
/// where the two differ, including the request as the app saw it (the answer's body).
pub(crate) fn diff(root: &Path) {
    for (_, package, _) in SUBJECTS {
        cargo_build(root, "bootstrap", package, &[], None);
    }
    let fixtures = fixtures(root);
    let mut server = Server::start();
    for (name, fields, unused) in DIFF_EVENTS {
        let text = std::fs::read_to_string(fixtures.join(format!("{name}.json"))).unwrap();
        let mut event = text;
        for field in unused {
            event = event.replace(&format!("\"{field}\""), &format!("\"unused_{field}\""));
        }
        let event = event.replacen('{', &format!("{{{fields},"), 1);
        let answers: Vec<serde_json::Value> = SUBJECTS
            .iter()
            .map(|(_, _, binary)| answer(&mut server, &root.join(binary), &event))
            .collect();
        println!("## {name}");
        let (ours, theirs) = (normalise(&answers[0]), normalise(&answers[1]));
        let mut same = true;
        for key in ours
            .keys()
            .chain(theirs.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            if ours.get(key) != theirs.get(key) {
                same = false;
                println!(
                    "- {key}: lambda-handler {} | lambda_http {}",
                    show(ours.get(key)),
                    show(theirs.get(key))
                );
            }
        }
        if same {
            println!("- the same");
        }
    }
}

/// Sample events, each edited to `/echo` with a repeated query name (`fields` go first in
/// the event; `unused` fields are renamed away).
const DIFF_EVENTS: [(&str, &str, &[&str]); 7] = [
    (
        "example-apigw-v2-request-iam",
        r#""rawPath": "/echo/x", "rawQueryString": "b=2&a=1&b=3""#,
        &["rawPath", "rawQueryString"],
    ),
    (
        "example-apigw-request",
        r#""path": "/echo/x", "multiValueQueryStringParameters": {"b": ["2", "3"], "a": ["1 2"]}, "multiValueHeaders": {"x-rep": ["one", "two"]}, "headers": {"x-rep": "two"}"#,
        &[
            "path",
            "multiValueQueryStringParameters",
            "multiValueHeaders",
            "headers",
        ],
    ),
    (
        "example-alb-lambda-target-request-multivalue-headers",
        r#""path": "/echo/x", "multiValueQueryStringParameters": {"b": ["2", "3"], "a": ["1"]}"#,
        &["path", "multiValueQueryStringParameters"],
    ),
    (
        "example-alb-lambda-target-request-headers-only",
        r#""path": "/echo/x", "queryStringParameters": {"b": "2", "a": "1"}"#,
        &["path", "queryStringParameters"],
    ),
    (
        "example-vpc-lattice-v2-request",
        r#""path": "/echo/x", "queryStringParameters": {"b": ["2", "3"], "a": ["1"]}"#,
        &["path", "queryStringParameters"],
    ),
    ("example-apigw-websocket-request", r#""unused": 0"#, &[]),
    ("example-sqs-event", r#""unused": 0"#, &[]),
];

fn fixtures(root: &Path) -> std::path::PathBuf {
    let output = std::process::Command::new("cargo")
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root)
        .output()
        .expect("cargo metadata");
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let manifest = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|package| package["name"] == "aws_lambda_events")
        .expect("lambda_http depends on aws_lambda_events")["manifest_path"]
        .as_str()
        .unwrap()
        .to_owned();
    Path::new(&manifest).parent().unwrap().join("src/fixtures")
}

fn answer(server: &mut Server, binary: &Path, event: &str) -> serde_json::Value {
    server.reset();
    server.push(&Bytes::from(event.to_owned()), 1);
    let mut child = spawn(binary, server);
    server.wait_answers(1, WAIT);
    let body = server
        .with_log(|log| log.first_body.clone())
        .unwrap_or_default();
    stop(&mut child);
    serde_json::from_slice(&body).unwrap_or_else(|_| json_string(&body))
}

fn json_string(body: &[u8]) -> serde_json::Value {
    serde_json::Value::String(String::from_utf8_lossy(body).into_owned())
}

/// An answer as comparable fields: the status, each response header's values (from
/// `headers` split at commas, `multiValueHeaders` and `cookies` alike, names in lower case),
/// the body (decoded from base64, and the request the app saw taken apart), and the rest.
fn normalise(answer: &serde_json::Value) -> std::collections::BTreeMap<String, serde_json::Value> {
    use serde_json::Value;
    let mut fields = std::collections::BTreeMap::new();
    let Some(object) = answer.as_object() else {
        fields.insert("answer".to_owned(), answer.clone());
        return fields;
    };
    let mut headers: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (key, value) in object {
        match key.as_str() {
            "headers" => {
                for (name, value) in value.as_object().into_iter().flatten() {
                    let values = headers.entry(name.to_lowercase()).or_default();
                    values.extend(
                        value
                            .as_str()
                            .unwrap_or_default()
                            .split(", ")
                            .map(str::to_owned),
                    );
                }
            }
            "multiValueHeaders" => {
                for (name, list) in value.as_object().into_iter().flatten() {
                    let values = headers
                        .entry(format!("{} (multi)", name.to_lowercase()))
                        .or_default();
                    values.extend(
                        list.as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|v| v.as_str().map(str::to_owned)),
                    );
                }
            }
            "cookies" => {
                let values = headers
                    .entry("set-cookie (cookies)".to_owned())
                    .or_default();
                values.extend(
                    value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|v| v.as_str().map(str::to_owned)),
                );
            }
            "body" => {
                let seen: Value = value
                    .as_str()
                    .and_then(|text| serde_json::from_str(text).ok())
                    .unwrap_or_else(|| value.clone());
                match seen.as_object() {
                    Some(seen) => {
                        for (name, value) in seen {
                            fields.insert(format!("app saw {name}"), value.clone());
                        }
                    }
                    None => {
                        fields.insert("body".to_owned(), seen);
                    }
                }
            }
            _ => {
                fields.insert(key.clone(), value.clone());
            }
        }
    }
    for (name, values) in headers {
        if name != "content-length" {
            fields.insert(format!("header {name}"), Value::from(values));
        }
    }
    fields
}

fn show(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(value) => {
            let text = value.to_string();
            if text.chars().count() > 160 {
                format!("{}..", text.chars().take(160).collect::<String>())
            } else {
                text
            }
        }
        None => "(none)".to_owned(),
    }
}
