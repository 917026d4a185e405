//! The README's "Your own function", followed as a newcomer follows it: the crate its blocks
//! spell out, built outside this workspace against the runtime on disk, run, tested and
//! served; and what its two pitfalls say when they happen.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

/// The README's files: each code block after a `<!-- {marker}: path -->` line (`file` for
/// "Your own function", `http-file` for the HTTP API of "HTTP APIs").
fn readme_files(marker: &str) -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(workspace().join("README.md")).unwrap();
    let mut files = Vec::new();
    let opening = format!("<!-- {marker}: ");
    for (at, _) in readme.match_indices(&opening) {
        let rest = &readme[at + opening.len()..];
        let name = rest[..rest.find(" -->").unwrap()].to_owned();
        let block = &rest[rest.find("```").unwrap()..];
        let body_start = block.find('\n').unwrap() + 1;
        let body_end = block[body_start..].find("```").unwrap() + body_start;
        files.push((name, block[body_start..body_end].to_owned()));
    }
    files
}

/// The crate, written under the test's temporary directory: the README's files, with
/// `lambda-handler` taken from this checkout (it is not on crates.io yet) and an empty
/// `[workspace]` so that cargo does not take the directory for part of this workspace.
fn write_crate(marker: &str, names: &[&str]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("my-{marker}"));
    let _ = std::fs::remove_dir_all(&dir);
    let files = readme_files(marker);
    let found: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(found, names);
    for (name, body) in files {
        let body = if name == "Cargo.toml" {
            let runtime = workspace().join("runtime");
            let path = format!("path = {:?}", runtime);
            assert!(body.contains("lambda-handler = "), "{body}");
            let body = body
                .replace(
                    "lambda-handler = \"0.1\"",
                    &format!("lambda-handler = {{ {path} }}"),
                )
                .replace(
                    "lambda-handler = { version = \"0.1\"",
                    &format!("lambda-handler = {{ {path}"),
                );
            body + "\n[workspace]\n"
        } else {
            body
        };
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    // The same versions of serde and friends as this workspace: nothing new to download.
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    dir
}

fn cargo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(args)
        .current_dir(dir)
        // Kept between runs of the suite: the second build is a relink.
        .env(
            "CARGO_TARGET_DIR",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("my-function-target"),
        )
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_readmes_own_function_builds_runs_tests_and_serves() {
    let dir = write_crate(
        "file",
        &[
            "Cargo.toml",
            "src/lib.rs",
            "src/main.rs",
            "tests/checkout.rs",
        ],
    );
    let run = cargo(&dir, &["run", "-q", "--", r#"{"id": 7, "quantity": 3}"#]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let receipt: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(receipt["total_cents"], 750, "{receipt}");
    assert_eq!(receipt["request_id"].as_str().map(str::len), Some(36));

    let test = cargo(&dir, &["test", "-q"]);
    assert!(
        test.status.success(),
        "{}{}",
        text(&test.stdout),
        text(&test.stderr)
    );
    assert!(
        text(&test.stdout).contains("1 passed"),
        "{}",
        text(&test.stdout)
    );

    // Without the `local` feature, `--serve` says how to get it; with it, it serves.
    let unserved = cargo(&dir, &["run", "-q", "--", "--serve"]);
    assert_eq!(
        unserved.status.code(),
        Some(2),
        "{}",
        text(&unserved.stderr)
    );
    assert!(
        text(&unserved.stderr).contains("--features"),
        "{}",
        text(&unserved.stderr)
    );
    let help = cargo(&dir, &["run", "-q", "--features", "local", "--", "--help"]);
    assert!(help.status.success(), "{}", text(&help.stderr));
    assert!(text(&help.stdout).contains("--serve"));

    // A newcomer who leaves out `use my_function as _;` is told to write it.
    let main = dir.join("src/main.rs");
    let source = std::fs::read_to_string(&main).unwrap();
    std::fs::write(&main, source.replace("use my_function as _;", "")).unwrap();
    let unlinked = cargo(&dir, &["run", "-q", "--", "{}"]);
    assert_eq!(
        unlinked.status.code(),
        Some(2),
        "{}",
        text(&unlinked.stderr)
    );
    assert!(
        text(&unlinked.stderr).contains("write `use my_function as _;` in `src/main.rs`"),
        "{}",
        text(&unlinked.stderr)
    );
}

/// The README's axum function from a blank crate, built against the runtime on disk (sharing
/// the target directory of the test above, so only axum and the runtime's `tower` build are
/// new), answering an HTTP API request and a REST API request, each in its source's shape.
#[test]
fn the_readmes_axum_function_builds_and_answers_every_source() {
    let dir = write_crate("http-file", &["Cargo.toml", "src/main.rs"]);
    let http_api = r#"{"version": "2.0", "rawPath": "/hello/Ada", "rawQueryString": "",
        "headers": {"accept": "*/*"}, "requestContext": {"http": {"method": "GET"}, "stage": "$default"},
        "isBase64Encoded": false}"#;
    let run = cargo(&dir, &["run", "-q", "--", http_api]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["body"], "Hello Ada!");
    assert_eq!(answer["cookies"], serde_json::json!([]));

    let rest = r#"{"resource": "/{proxy+}", "path": "/hello/Grace", "httpMethod": "GET",
        "headers": null, "multiValueHeaders": {"accept": ["*/*"]},
        "queryStringParameters": null, "multiValueQueryStringParameters": null,
        "requestContext": {"stage": "prod", "path": "/prod/hello/Grace"}, "body": null,
        "isBase64Encoded": false}"#;
    let run = cargo(&dir, &["run", "-q", "--", rest]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    assert_eq!(answer["body"], "Hello Grace!");
    assert_eq!(
        answer["multiValueHeaders"]["content-type"],
        serde_json::json!(["text/plain; charset=utf-8"])
    );
}

/// The README's durable workflow ("Durable functions"), from a blank crate: built with its
/// `local` feature and run to its end on `--serve --skip-time` as the README says, with no
/// other service: started with boto3's `invoke`, approved and read back with the AWS CLI
/// (`tests/durable/order.py`, as `tests/durable.rs` runs the example).
#[test]
fn the_readmes_durable_workflow_runs_on_serve_to_its_end() {
    let dir = write_crate("durable-file", &["Cargo.toml", "src/main.rs"]);
    let built = cargo(&dir, &["build", "-q", "--features", "local"]);
    assert!(built.status.success(), "{}", text(&built.stderr));
    let binary =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("my-function-target/debug/order-workflow");
    let out = Command::new(lambda_handler_tests::python_venv())
        .arg(workspace().join("tests/durable/order.py"))
        .arg("emulator")
        .arg(&binary)
        .arg("--skip-time")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["status"], "SUCCEEDED", "{report:#}");
    assert_eq!(
        report["result"],
        serde_json::json!({
            "order_id": "o-1",
            "total_cents": 3750,
            "approved_by": "ada",
            "shipments": ["parcel 0: book", "parcel 1: pen", "parcel 2: lamp"],
        })
    );
    assert_eq!(report["invocations"], 3, "{report:#}");
}
