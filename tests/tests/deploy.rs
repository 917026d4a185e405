//! Deploying: the SAM template of the examples passes cfn-lint, and the README's path from a
//! built binary to a zip gives Lambda what it runs, one executable named `bootstrap` at the
//! root.

use std::path::Path;
use std::process::Command;

use lambda_handler_tests::{Binary, python_venv};

static HELLO: Binary = Binary::example("hello");

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn cfn_lint(template: &Path) -> (bool, String) {
    let out = Command::new(python_venv().with_file_name("cfn-lint"))
        .arg(template)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn the_sam_template_passes_cfn_lint() {
    let template = workspace().join("template.yaml");
    let (clean, report) = cfn_lint(&template);
    assert!(clean, "cfn-lint found problems:\n{report}");
    // The linter really reads SAM: a misspelt property is found.
    let broken = Path::new(env!("CARGO_TARGET_TMPDIR")).join("template-broken.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    std::fs::write(&broken, text.replacen("CodeUri:", "CodeUrl:", 1)).unwrap();
    let (clean, report) = cfn_lint(&broken);
    assert!(
        !clean && report.contains("'CodeUrl' was unexpected"),
        "{report}"
    );
    // Every function's handler names a handler of its example.
    for (example, handler) in [
        ("hello", "my_handler"),
        ("state", "greet"),
        ("apigw_http", "http"),
        ("sqs_batch", "orders"),
        ("s3_notification", "objects"),
    ] {
        assert!(
            text.contains(&format!(
                "CodeUri: target/lambda/{example}/\n      Handler: {handler}\n"
            )),
            "{example}: {handler}"
        );
        let source =
            std::fs::read_to_string(workspace().join(format!("examples/{example}.rs"))).unwrap();
        assert!(
            source.contains(&format!("fn {handler}(")),
            "{example} has no {handler}"
        );
    }
}

#[test]
fn the_documented_zip_holds_one_executable_bootstrap_that_runs() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("zip-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let function = dir.join("lambda/hello");
    std::fs::create_dir_all(&function).unwrap();
    // README: copy the binary in as `bootstrap`, zip it at the root.
    std::fs::copy(HELLO.path(), function.join("bootstrap")).unwrap();
    let python = python_venv();
    let zipped = Command::new(python)
        .args(["-m", "zipfile", "-c", "../hello.zip", "bootstrap"])
        .current_dir(&function)
        .status()
        .unwrap();
    assert!(zipped.success());
    let listing = Command::new(python)
        .args([
            "-c",
            "import json, sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             print(json.dumps([[i.filename, i.external_attr >> 16] for i in z.infolist()]))",
        ])
        .arg(dir.join("lambda/hello.zip"))
        .output()
        .unwrap();
    let entries: Vec<(String, u32)> = serde_json::from_slice(&listing.stdout).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let (name, mode) = &entries[0];
    assert_eq!(name, "bootstrap");
    assert_eq!(mode & 0o170000, 0o100000, "a regular file: {mode:o}");
    assert_eq!(mode & 0o111, 0o111, "executable: {mode:o}");
    // Unpacked as Lambda unpacks it, it runs.
    let unpacked = dir.join("task");
    let extracted = Command::new(python)
        .args([
            "-c",
            "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
        ])
        .arg(dir.join("lambda/hello.zip"))
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(extracted.success());
    // zipfile does not restore permissions on extraction; Lambda does, from the entry's mode.
    let bootstrap = unpacked.join("bootstrap");
    let mut permissions = std::fs::metadata(&bootstrap).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, *mode & 0o777);
    std::fs::set_permissions(&bootstrap, permissions).unwrap();
    let out = Command::new(&bootstrap)
        .arg(r#"{"first_name":"Ada","last_name":"Lovelace"}"#)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"message\":\"Hello Ada Lovelace!\"}\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
