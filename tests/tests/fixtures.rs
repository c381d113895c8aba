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
