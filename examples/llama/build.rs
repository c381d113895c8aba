// Compiles the tiny_llama fixture into OUT_DIR/tiny_llama.rs at build time.
fn main() {
    etch_codegen::Builder::new("../../tests/fixtures/tiny_llama/model.pte").name("tiny_llama").generate_or_exit();
}
