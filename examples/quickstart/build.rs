// Compiles the bundled digits model into OUT_DIR/digits.rs at build time.
fn main() {
    etch_codegen::Builder::new("../../tests/fixtures/digits_cnn/model.pte").name("digits").generate_or_exit();
}
