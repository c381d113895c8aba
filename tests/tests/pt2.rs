//! `torch.export` archives (`.pt2`, `tests/export/pt2.py`), in both forms: the
//! default export (high-level ATen) and the core ATen one after
//! `run_decompositions()`. Each is compiled into a crate, built and run, and
//! held to the outputs of the exported program itself (`ep.module()`).
//! The large ones live in the zoo (`$ETCH_ZOO/pt2/<name>`): a missing one fails.

use etch_tests::{fixture, verify, zoo};

fn both(name: &str) {
    let dir = fixture(&format!("pt2/{name}"));
    verify(&dir, "model.pt2");
    verify(&dir, "model.core.pt2");
}

fn zoo_both(name: &str) {
    if let Some(zoo) = zoo() {
        let dir = zoo.join("pt2").join(name);
        verify(&dir, "model.pt2");
        verify(&dir, "model.core.pt2");
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

#[test]
fn pt2_zoo_mobilenet_v2() {
    zoo_both("mobilenet_v2");
}

#[test]
fn pt2_zoo_mobilenet_v3_small() {
    zoo_both("mobilenet_v3_small");
}
