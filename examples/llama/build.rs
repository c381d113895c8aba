// Compiles two decoders into OUT_DIR at build time: the tiny_llama fixture and
// hf_llama, exported through Hugging Face's static-cache path.
fn main() {
    etch_codegen::Builder::new("../../tests/fixtures/tiny_llama/model.pte").name("tiny_llama").generate_or_exit();
    etch_codegen::Builder::new("../../tests/fixtures/hf_llama/model.pte").name("hf_llama").generate_or_exit();
}
