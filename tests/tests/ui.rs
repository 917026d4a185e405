//! The compile-time contract of `#[lambda_handler]`: what compiles, and the errors for what
//! does not. Refresh `.stderr` files with `TRYBUILD=overwrite` and read every line.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
