//! The reference zoo named by `ETCH_ZOO` (CI: `../shared/models`). Unset, these
//! tests do nothing; set, a missing model fails.

use etch_tests::{setup, verify, verify_with, zoo};

fn zoo_model(name: &str) {
    if let Some(zoo) = zoo() {
        verify(&zoo.join(name), "model.pte");
    }
}

/// The XNNPACK-delegated twin, held to the same expected outputs.
fn zoo_twin(name: &str) {
    if let Some(zoo) = zoo() {
        verify(&zoo.join(name), "model.xnnpack.pte");
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

/// Built with the `threads` feature and run on 2 threads: the split kernels too.
#[test]
fn zoo_mobilenet_v2_two_threads() {
    if let Some(zoo) = zoo() {
        verify_with(&zoo.join("mobilenet_v2"), "model.pte", &etch_cli::run::Setup { threads: 2, ..setup() });
    }
}

/// The int8 kernels split on 2 threads.
#[test]
fn zoo_mobilenet_v2_int8_two_threads() {
    if let Some(zoo) = zoo() {
        verify_with(&zoo.join("mobilenet_v2_int8"), "model.pte", &etch_cli::run::Setup { threads: 2, ..setup() });
    }
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

#[test]
fn zoo_xnnpack_mlp() {
    zoo_twin("mlp");
}

#[test]
fn zoo_xnnpack_digits_cnn() {
    zoo_twin("digits_cnn");
}

#[test]
fn zoo_xnnpack_mobilenet_v2() {
    zoo_twin("mobilenet_v2");
}

#[test]
fn zoo_xnnpack_mobilenet_v3_small() {
    zoo_twin("mobilenet_v3_small");
}

#[test]
fn zoo_xnnpack_tiny_encoder() {
    zoo_twin("tiny_encoder");
}

#[test]
fn zoo_xnnpack_tiny_llama() {
    zoo_twin("tiny_llama");
}

/// XNNPACK's int8 graph becomes the same int8 kernels as the PT2E program,
/// and stays within ExecuTorch-XNNPACK's own error against the oracle.
#[test]
fn zoo_xnnpack_mobilenet_v2_int8() {
    let Some(zoo) = zoo() else { return };
    let dir = zoo.join("mobilenet_v2_int8");
    verify(&dir, "model.xnnpack.pte");
    let bytes = std::fs::read(dir.join("model.xnnpack.pte")).unwrap();
    let g = etch_codegen::generate(&bytes, &etch_codegen::Config::new("int8")).unwrap();
    for kernel in ["quant::conv::qconv2d", "quantize"] {
        assert!(g.model_rs.contains(kernel), "no `{kernel}` call in the generated int8 model");
    }
    assert!(!g.model_rs.contains("conv::im2col::conv2d"), "an f32 convolution is left in the int8 model");
    assert!(g.summary.arena_bytes <= 1_600_000, "arena {} bytes", g.summary.arena_bytes);
}
