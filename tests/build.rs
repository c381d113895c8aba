// The build-script way in, for tests/three_ways.rs: OUT_DIR/digits.rs and OUT_DIR/mlp.rs.
fn main() {
    etch_codegen::Builder::new("fixtures/digits_cnn/model.pte").name("digits").generate_or_exit();
    etch_codegen::Builder::new("fixtures/mlp/model.pte").name("mlp").generate_or_exit();
}
