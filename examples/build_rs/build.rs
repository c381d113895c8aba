// Compiles the mlp fixture into OUT_DIR/mlp.rs (and mlp.weights.bin) at build
// time. A bad model prints `error: ...` and fails the build, without a panic.
fn main() {
    etch_codegen::Builder::new("../../tests/fixtures/mlp/model.pte").name("mlp").generate_or_exit();
}
