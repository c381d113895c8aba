// The build-script way in, for tests/three_ways.rs (OUT_DIR/digits.rs, OUT_DIR/mlp.rs) and tests/pt2.rs (OUT_DIR/mlp_pt2.rs).
fn main() {
    etch_codegen::Builder::new("fixtures/digits_cnn/model.pte").name("digits").generate_or_exit();
    etch_codegen::Builder::new("fixtures/mlp/model.pte").name("mlp").generate_or_exit();
    etch_codegen::Builder::new("fixtures/pt2/mlp/model.pt2").name("mlp_pt2").generate_or_exit();
}
