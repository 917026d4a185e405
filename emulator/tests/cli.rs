//! `lambda-emulator`'s command line: help, and usage errors that say what is wrong.

use std::process::Command;

const EMULATOR: &str = env!("CARGO_BIN_EXE_lambda-emulator");

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(EMULATOR).args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn help_lists_the_options() {
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    for option in [
        "--port",
        "--listen",
        "--timeout SECONDS",
        "--function-name",
        "--memory",
    ] {
        assert!(stdout.contains(option), "{option}: {stdout}");
    }
}

#[test]
fn mistakes_are_usage_errors() {
    for (args, says) in [
        (&["--frobnicate"][..], "unknown option `--frobnicate`"),
        (&["--port", "99999", "--", "x"][..], "--port"),
        (
            &["--timeout", "901", "--", "x"][..],
            "a function timeout is 1 to 900 seconds",
        ),
        (
            &["--timeout", "18446744073709551616", "--", "x"][..],
            "not a whole number",
        ),
        (&["--port", "0"][..], "give the runtime to run"),
    ] {
        let (code, _, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
