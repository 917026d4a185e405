//! The compile-time contract of `#[lambda_handler]`: what compiles, and the errors for what
//! does not. Refresh `.stderr` files with `TRYBUILD=overwrite` and read every line.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}

/// A refused signature is one short error: at most 20 lines of compiler output.
#[test]
fn every_refused_signature_is_at_most_twenty_lines() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/fail");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "stderr") {
            let lines = std::fs::read_to_string(&path).unwrap().lines().count();
            assert!(lines <= 20, "{}: {lines} lines", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} .stderr files found");
}
