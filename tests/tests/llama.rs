//! LLMs the way people export them: ExecuTorch's own llama export
//! (`tests/export/llama_et.py`), ten calls in order on one instance, each
//! reading the KV cache the previous ones wrote through `llama::update_cache`.

use etch_tests::{fixture, run_with_model, verify};

/// f32, custom SDPA, linear layers in XNNPACK.
#[test]
fn llama_et_xnnpack() {
    verify(&fixture("llama_et_xnnpack"), "model.pte");
}

/// The same program without XNNPACK: `aten::linear.out`.
#[test]
fn llama_et_portable() {
    verify(&fixture("llama_et_portable"), "model.pte");
}

/// `8da4w`: XNNPACK's blockwise 4-bit weights (groups of 32) with int8
/// activations quantized per token at run time.
#[test]
fn llama_et_8da4w_xnnpack() {
    verify(&fixture("llama_et_8da4w_xnnpack"), "model.pte");
}

/// ExecuTorch's phone recipe: 8da4w and the embedding table in 4 bits
/// (`quantized_decomposed::embedding_4bit`, groups of 32).
#[test]
fn llama_et_8da4w_e4_xnnpack() {
    verify(&fixture("llama_et_8da4w_e4_xnnpack"), "model.pte");
}

/// An int8 table with a scale per row (`quantized_decomposed::embedding_byte`).
#[test]
fn llama_et_e8_xnnpack() {
    verify(&fixture("llama_et_e8_xnnpack"), "model.pte");
}

/// ExecuTorch's default export: a prompt of up to `max_seq_len - 1` tokens
/// per call, its length a runtime size (`sym_size`, `executorch_prim::add.Scalar`,
/// `et_view`, slices of the rope tables from `input_pos`). Cases: a prefill of 5
/// tokens, eight decode calls, a prompt of 3, one more token, in order.
#[test]
fn llama_et_dyn_xnnpack() {
    verify(&fixture("llama_et_dyn_xnnpack"), "model.pte");
}

#[test]
fn llama_et_dyn_portable() {
    verify(&fixture("llama_et_dyn_portable"), "model.pte");
}

/// The prompt length is checked against its bound and the cache; a prefill
/// gives the logits that decoding the same tokens one by one gives.
#[test]
fn llama_et_dyn_bounds_and_prefill() {
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    println!("{:?}", m.forward(&[3; 32], &[0], 32).err());
    println!("{:?}", m.forward(&[3; 2], &[0], 3).err());
    println!("{:?}", m.forward(&[3; 3], &[30], 3).err());
    println!("{:?}", m.forward(&[3; 3], &[-1], 3).err());
    m.reset();
    let prefill = m.forward(&[7, 9, 11], &[0], 3).unwrap().to_vec();
    m.reset();
    let _ = m.forward(&[7], &[0], 1).unwrap();
    let _ = m.forward(&[9], &[1], 1).unwrap();
    let decode = m.forward(&[11], &[2], 1).unwrap().to_vec();
    let diff = prefill.iter().zip(&decode).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    println!("{}", diff < 1e-4);
}
"#;
    for form in ["llama_et_dyn_xnnpack", "llama_et_dyn_portable"] {
        let out = run_with_model(&fixture(form), main);
        let expected = [
            "Some(DimTooLarge { input: 0, dim: 1, size: 32, bound: 31 })",
            "Some(InputLength { input: 0, len: 2, expected: 3 })",
            // Rows 30..33 of the rope tables (32 rows): the slice fails before the cache is written.
            "Some(IndexOutOfRange { op: \"slice\", index: 33, size: 32 })",
            "Some(IndexOutOfRange { op: \"slice\", index: -1, size: 32 })",
            "true",
        ];
        assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{form}: {out}");
    }
}

/// The metadata methods are constants and methods with ExecuTorch's values;
/// a position that does not fit is an `Err`, as ExecuTorch fails the call; `reset()` forgets the cache.
#[test]
fn llama_et_metadata_positions_and_reset() {
    let meta = std::fs::read_to_string(fixture("llama_et_xnnpack").join("meta.json")).unwrap();
    // meta.json's "metadata": what ExecuTorch's runtime returned for each method.
    let md = |key: &str| {
        let at = meta.find(&format!("\"{key}\": ")).unwrap_or_else(|| panic!("{key} is not in meta.json")) + key.len() + 4;
        meta[at..].split([',', '\n']).next().unwrap().trim().to_string()
    };
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    println!("{} {} {} {}", model::GET_MAX_SEQ_LEN, m.get_vocab_size(), m.get_n_layers(), model::GET_MAX_CONTEXT_LEN);
    println!("{} {} {}", m.use_kv_cache(), model::USE_SDPA_WITH_KV_CACHE, m.enable_dynamic_shape());
    println!("{:?}", m.forward(&[7], &[32]).err());
    println!("{:?}", m.forward(&[7], &[-1]).err());
    let first = m.forward(&[7], &[0]).unwrap().to_vec();
    let second = m.forward(&[9], &[1]).unwrap().to_vec();
    m.reset();
    let alone = m.forward(&[9], &[1]).unwrap().to_vec();
    m.reset();
    let again = (m.forward(&[7], &[0]).unwrap().to_vec(), m.forward(&[9], &[1]).unwrap().to_vec());
    println!("{} {}", second != alone, again == (first, second));
}
"#;
    let out = run_with_model(&fixture("llama_et_xnnpack"), main);
    let expected = [
        format!("{} {} {} {}", md("get_max_seq_len"), md("get_vocab_size"), md("get_n_layers"), md("get_max_context_len")),
        format!("{} {} {}", md("use_kv_cache"), md("use_sdpa_with_kv_cache"), md("enable_dynamic_shape")),
        // Position 32 first indexes the rope tables (32 rows), then the cache;
        // -1 is a valid index there (from the end), and the cache refuses it.
        "Some(IndexOutOfRange { op: \"index\", index: 32, size: 32 })".into(),
        "Some(IndexOutOfRange { op: \"update_cache\", index: -1, size: 32 })".into(),
        "true true".into(),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), expected, "{out}");
}

/// Hugging Face's static-cache path (`tests/export/hf_static.py`): a tiny
/// LlamaConfig with grouped-query attention, portable and XNNPACK.
#[test]
fn hf_llama() {
    verify(&fixture("hf_llama"), "model.pte");
}

#[test]
fn hf_llama_xnnpack() {
    verify(&fixture("hf_llama"), "model.xnnpack.pte");
}

/// Qwen2: biases on the q/k/v projections, grouped-query attention.
#[test]
fn hf_qwen2() {
    verify(&fixture("hf_qwen2"), "model.pte");
}

#[test]
fn hf_qwen2_xnnpack() {
    verify(&fixture("hf_qwen2"), "model.xnnpack.pte");
}

/// The cache is state: after `reset()` the same calls give the same logits,
/// and without the first call the second one sees other keys.
#[test]
fn hf_llama_state_resets() {
    let main = r#"
fn main() {
    let mut m = Box::new(model::Model::new());
    let first = m.forward(&[5], &[0]).unwrap().to_vec();
    let second = m.forward(&[17], &[1]).unwrap().to_vec();
    m.reset();
    let alone = m.forward(&[17], &[1]).unwrap().to_vec();
    m.reset();
    let again = (m.forward(&[5], &[0]).unwrap().to_vec(), m.forward(&[17], &[1]).unwrap().to_vec());
    println!("{} {}", second != alone, again == (first, second));
}
"#;
    let out = run_with_model(&fixture("hf_llama"), main);
    assert_eq!(out.lines().collect::<Vec<_>>(), ["true true"], "{out}");
}
