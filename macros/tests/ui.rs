//! Compile-fail tests: each `include_model!` error is a compile error on the
//! path literal, with the text in `tests/ui/*.stderr`.

#[test]
fn errors() {
    // trybuild compiles these in a scratch crate: resolve paths against this one.
    std::env::set_var("ETCH_MANIFEST_DIR_OVERRIDE", env!("CARGO_MANIFEST_DIR"));
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
