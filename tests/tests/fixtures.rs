//! Every bundled fixture, compiled into a crate, built and run: its outputs
//! must match the ones ExecuTorch's runtime produced for the same program.

use etch_tests::{fixture, verify};

#[test]
fn elementwise() {
    verify(&fixture("elementwise"), "model.pte");
}

#[test]
fn mlp() {
    verify(&fixture("mlp"), "model.pte");
}

#[test]
fn codec_two_methods() {
    verify(&fixture("codec"), "model.pte");
}

#[test]
fn lstm() {
    verify(&fixture("lstm"), "model.pte");
}

#[test]
fn digits_cnn() {
    verify(&fixture("digits_cnn"), "model.pte");
}

#[test]
fn tiny_encoder() {
    verify(&fixture("tiny_encoder"), "model.pte");
}

/// Eight calls in order on one instance: each reads the KV cache the previous one wrote.
#[test]
fn tiny_llama_state() {
    verify(&fixture("tiny_llama"), "model.pte");
}

/// Batch 1, 5 and 8 against a bound of 8.
#[test]
fn dynamic_mlp() {
    verify(&fixture("dynamic_mlp"), "model.pte");
}

/// The check can fail: one corrupted weight of digits_cnn must be caught.
#[test]
fn a_corrupted_weight_fails_verification() {
    let src = fixture("digits_cnn");
    let dir = std::env::temp_dir().join(format!("etch-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = std::fs::read(src.join("model.pte")).unwrap();
    // The last constant is the classifier's bias: flip its exponent bits.
    let n = bytes.len();
    bytes[n - 30] ^= 0x7f;
    std::fs::write(dir.join("model.pte"), &bytes).unwrap();
    std::fs::copy(src.join("meta.json"), dir.join("meta.json")).unwrap();
    let cases = dir.join("cases");
    for k in 0..8 {
        let case = cases.join(k.to_string());
        std::fs::create_dir_all(&case).unwrap();
        for f in ["in0.npy", "out0.npy"] {
            std::fs::copy(src.join("cases").join(k.to_string()).join(f), case.join(f)).unwrap();
        }
    }
    let report = etch_cli::run::verify::verify(&dir.join("model.pte"), &dir, None, None, &etch_tests::setup()).unwrap();
    report.print();
    assert!(!report.passed(), "a corrupted weight went unnoticed");
    std::fs::remove_dir_all(&dir).ok();
}

/// XNNPACK-delegated twins: the delegate's graph compiled, same expected outputs.
#[test]
fn xnnpack_mlp() {
    verify(&fixture("mlp"), "model.xnnpack.pte");
}

/// Conv, depthwise conv and max pooling in NHWC between two transposes.
#[test]
fn xnnpack_digits_cnn() {
    verify(&fixture("digits_cnn"), "model.xnnpack.pte");
}

/// Twelve delegate calls between portable kernels in one method.
#[test]
fn xnnpack_tiny_encoder() {
    verify(&fixture("tiny_encoder"), "model.xnnpack.pte");
}

/// Sixteen delegate calls around the KV cache's portable ops, eight calls in order.
#[test]
fn xnnpack_tiny_llama() {
    verify(&fixture("tiny_llama"), "model.xnnpack.pte");
}

/// Average pooling with and without padding, maximum/minimum, leaky relu,
/// elu, constant padding, slices and a three-way cat (`tests/export/zoo_extra.py`).
#[test]
fn vision_ops() {
    verify(&fixture("vision_ops"), "model.pte");
}

/// The same ops as XNNPACK nodes, in three delegate calls around portable elu and full_like.
#[test]
fn xnnpack_vision_ops() {
    verify(&fixture("vision_ops"), "model.xnnpack.pte");
}

/// floor, ceil, log, sin, cos, sqrt and a PReLU (decomposed into where/mul).
#[test]
fn math_ops() {
    verify(&fixture("math_ops"), "model.pte");
}

/// The same as XNNPACK nodes, PReLU's per-channel slope broadcast in NHWC.
#[test]
fn xnnpack_math_ops() {
    verify(&fixture("math_ops"), "model.xnnpack.pte");
}

/// A bounded dynamic batch through an XNNPACK delegate (exported with
/// `tests/export/zoo_extra.py`'s recipe): batch 1, 5 and 8.
#[test]
fn xnnpack_dynamic_mlp() {
    verify(&fixture("dynamic_mlp"), "model.xnnpack.pte");
}

/// Broadcasting elementwise ops, two outputs, through XNNPACK.
#[test]
fn xnnpack_elementwise() {
    verify(&fixture("elementwise"), "model.xnnpack.pte");
}

/// An unrolled LSTM: slices, five-way concatenations, eleven delegate calls.
#[test]
fn xnnpack_lstm() {
    verify(&fixture("lstm"), "model.xnnpack.pte");
}

/// Two methods, each with its own delegate.
#[test]
fn xnnpack_codec() {
    verify(&fixture("codec"), "model.xnnpack.pte");
}

/// Transposed convolutions (stride 2, padding, output padding) and bilinear
/// resizing (by a scale factor, and to a size with aligned corners), portable.
#[test]
fn decoder() {
    verify(&fixture("decoder"), "model.pte");
}

/// The same as XNNPACK ConvTranspose2d and StaticResizeBilinear2D nodes.
#[test]
fn xnnpack_decoder() {
    verify(&fixture("decoder"), "model.xnnpack.pte");
}

/// Dynamically quantized linear layers through XNNPACK: int8 activations with
/// a range per row found at run time, int8 weights per channel. (The portable
/// program computes its ranges in f64, which etch does not hold yet.)
#[test]
fn xnnpack_dq_mlp() {
    verify(&fixture("dq_mlp"), "model.xnnpack.pte");
}

/// A planned tensor with stored initial data: state that starts from the program's
/// values (written by `codegen/src/pte/tests/state.rs`), over two calls.
#[test]
fn initial_state() {
    verify(&fixture("initial_state"), "model.pte");
}
