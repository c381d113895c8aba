//! The reference zoo named by `ETCH_ZOO` (CI: `../shared/models`). Unset, these
//! tests do nothing; set, a missing model fails.

use etch_tests::{verify, zoo};

fn zoo_model(name: &str) {
    if let Some(zoo) = zoo() {
        verify(&zoo.join(name), "model.pte");
    }
}

#[test]
fn zoo_elementwise() {
    zoo_model("elementwise");
}

#[test]
fn zoo_mlp() {
    zoo_model("mlp");
}

#[test]
fn zoo_codec() {
    zoo_model("codec");
}

#[test]
fn zoo_lstm() {
    zoo_model("lstm");
}

#[test]
fn zoo_digits_cnn() {
    zoo_model("digits_cnn");
}

#[test]
fn zoo_mobilenet_v2() {
    zoo_model("mobilenet_v2");
}

/// PT2E int8: quantize/dequantize around float kernels, int8 weights per channel.
#[test]
fn zoo_mobilenet_v2_int8() {
    zoo_model("mobilenet_v2_int8");
}

#[test]
fn zoo_mobilenet_v3_small() {
    zoo_model("mobilenet_v3_small");
}

#[test]
fn zoo_tiny_encoder() {
    zoo_model("tiny_encoder");
}

/// Eight calls in order on one instance, sharing the KV cache.
#[test]
fn zoo_tiny_llama() {
    zoo_model("tiny_llama");
}

/// Batch 1, 5 and 8 against a bound of 8.
#[test]
fn zoo_dynamic_mlp() {
    zoo_model("dynamic_mlp");
}
