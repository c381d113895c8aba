//! `torch.export` archives (`.pt2`, `tests/export/pt2.py`), in both forms: the
//! default export (high-level ATen) and the core ATen one after
//! `run_decompositions()`. Each is compiled into a crate, built and run, and
//! held to the outputs of the exported program itself (`ep.module()`).
//! The full-size torchvision ones (141 MB) are read from `$ETCH_PT2_ZOO/<name>`
//! when it is set; their slim twins, the same classes at smaller widths, are fixtures.

use etch_tests::{fixture, pt2_zoo, verify};

fn both(name: &str) {
    let dir = fixture(&format!("pt2/{name}"));
    verify(&dir, "model.pt2");
    verify(&dir, "model.core.pt2");
}

fn zoo_both(name: &str) {
    match pt2_zoo() {
        Some(zoo) => {
            let dir = zoo.join(name);
            verify(&dir, "model.pt2");
            verify(&dir, "model.core.pt2");
        }
        None => println!("ETCH_PT2_ZOO is not set: the full-size {name} was not run (its slim twin was)"),
    }
}

#[test]
fn pt2_mlp() {
    both("mlp");
}

#[test]
fn pt2_digits_cnn() {
    both("digits_cnn");
}

/// Batch 1, 5 and 8 against the bound of 8 that `range_constraints` gives.
#[test]
fn pt2_dynamic_mlp() {
    both("dynamic_mlp");
}

/// The default form keeps `aten.lstm.input`, which etch unrolls; the core form is already unrolled.
#[test]
fn pt2_lstm() {
    both("lstm");
}

/// Default form: `scaled_dot_product_attention`, `layer_norm`, `chunk`; core form: its decomposition.
#[test]
fn pt2_tiny_encoder() {
    both("tiny_encoder");
}

/// KV caches as mutated buffers: written in place by `index_copy_` in the default
/// form, returned as `buffer_mutation` outputs in the core one. Eight calls in order.
#[test]
fn pt2_tiny_llama() {
    both("tiny_llama");
}

/// A BERT-style layer as Hugging Face writes it (views, permutes, additive mask, GELU, post-LN).
#[test]
fn pt2_hf_block() {
    both("hf_block");
}

/// torchvision's ResNet with resnet18's blocks at 1/16 of its widths.
#[test]
fn pt2_resnet18_slim() {
    both("resnet18_slim");
}

#[test]
fn pt2_mobilenet_v2_slim() {
    both("mobilenet_v2_slim");
}

#[test]
fn pt2_mobilenet_v3_small_slim() {
    both("mobilenet_v3_small_slim");
}

/// torchvision's resnet18 at 112x112, seeded, batch norms calibrated.
#[test]
fn pt2_zoo_resnet18() {
    zoo_both("resnet18");
}

#[test]
fn pt2_zoo_mobilenet_v2() {
    zoo_both("mobilenet_v2");
}

#[test]
fn pt2_zoo_mobilenet_v3_small() {
    zoo_both("mobilenet_v3_small");
}

// The other two ways in, on a `.pt2`: the macro here and build.rs's Builder (OUT_DIR/mlp_pt2.rs).
etch_kernels::include_model!(mod macro_mlp_pt2 = "fixtures/pt2/mlp/model.pt2");
mod build_rs_mlp_pt2 {
    include!(concat!(env!("OUT_DIR"), "/mlp_pt2.rs"));
}

fn f32s(path: &std::path::Path) -> Vec<f32> {
    use etch_cli::run::cases::{Array, Data};
    match Array::read(path).unwrap_or_else(|e| panic!("{e}")).data {
        Data::F32(v) => v,
        _ => panic!("{}: expected f32", path.display()),
    }
}

/// `include_model!("model.pt2")` and the Builder give bit-identical outputs,
/// within tolerance of `ep.module()`'s.
#[test]
fn pt2_through_include_model_and_the_builder() {
    let dir = fixture("pt2/mlp");
    let sizes = (macro_mlp_pt2::ARENA_BYTES, macro_mlp_pt2::WEIGHT_BYTES);
    assert_eq!(sizes, (build_rs_mlp_pt2::ARENA_BYTES, build_rs_mlp_pt2::WEIGHT_BYTES));
    let mut by_macro = macro_mlp_pt2::Model::new();
    let mut by_build_rs = build_rs_mlp_pt2::Model::new();
    for k in 0..2 {
        let input = f32s(&dir.join(format!("cases/{k}/in0.npy")));
        let x: &[f32; 64] = input.as_slice().try_into().unwrap();
        let a = by_macro.forward(x).to_vec();
        let b = by_build_rs.forward(x).to_vec();
        assert_eq!(a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), b.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), "case {k}");
        let expected = f32s(&dir.join(format!("cases/{k}/out0.npy")));
        for (g, e) in a.iter().zip(&expected) {
            assert!((g - e).abs() <= 1e-5 + 1e-4 * e.abs(), "case {k}: {g} vs {e}");
        }
    }
}
