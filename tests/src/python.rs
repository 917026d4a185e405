//! The Python the tests drive AWS's own clients and runtime from.

use std::path::Path;
use std::process::{Command, Stdio};

/// A Python venv under the target directory with what the tests drive from Python, from
/// PyPI: boto3 (Lambda's own client), the AWS CLI (version 1, the one on PyPI), awslambdaric
/// (AWS's Python runtime), cfn-lint with the SAM translator (the template check), and AWS's
/// local durable-execution service (`aws-durable-execution-sdk-python-testing`, pinned: the
/// conformance run names its gaps) with PyYAML for the conformance requirements. Made once, and again only when a package is missing.
pub fn python_venv() -> &'static Path {
    static PYTHON: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    PYTHON.get_or_init(|| {
        // target/tmp, as integration tests' CARGO_TARGET_TMPDIR: target/{profile}/deps/{test}.
        let exe = std::env::current_exe().expect("the test's own path");
        let target = exe.ancestors().nth(3).expect("target/");
        let venv = target.join("tmp").join("python-venv");
        let python = venv.join("bin/python");
        let ready = |python: &Path| {
            Command::new(python)
                .args([
                    "-c",
                    "import boto3, awscli, awslambdaric, cfnlint, samtranslator, yaml, \
                     aws_durable_execution_sdk_python_testing",
                ])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        if !ready(&python) {
            if !python.exists() {
                let made = Command::new("python3")
                    .arg("-m")
                    .arg("venv")
                    .arg(&venv)
                    .status()
                    .expect("python3");
                assert!(made.success(), "python3 -m venv failed");
            }
            let installed = Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args([
                    "boto3",
                    "awscli",
                    "awslambdaric",
                    "cfn-lint",
                    "aws-sam-translator",
                    "pyyaml",
                    "aws-durable-execution-sdk-python-testing==1.4.0",
                ])
                .status()
                .expect("pip");
            assert!(
                installed.success() && ready(&python),
                "pip install of the tests' Python packages failed"
            );
        }
        python
    })
}
