//! The op conformance suite (`tests/export/ops.py`): each fixture groups one
//! family of ops, compiled into a crate and checked against ExecuTorch's outputs.

use etch_tests::{fixture, verify};

/// A parameter-free program: an empty constant segment and no extended header.
#[test]
fn edge_add() {
    verify(&fixture("edge_add"), "model.pte");
}

/// Outputs that are an input, the same value twice, a constant and a view of an input.
#[test]
fn edge_outputs() {
    verify(&fixture("edge_outputs"), "model.pte");
}

/// 1-D convolutions (padded, dilated and strided, grouped, depthwise,
/// transposed, grouped transposed) and 1-D max and average pooling.
#[test]
fn conv1d() {
    verify(&fixture("ops_conv1d"), "model.pte");
}

/// The same through XNNPACK, which sees 2-D convolutions over rows of height 1.
#[test]
fn xnnpack_conv1d() {
    verify(&fixture("ops_conv1d"), "model.xnnpack.pte");
}

/// sum, prod, amax/amin, max/min (all and per dim, with indices), argmax/argmin,
/// var/std, cumsum, mean and topk: over one, several, negative and all dims,
/// with and without keepdim, on f32 and i64.
#[test]
fn reduce() {
    verify(&fixture("ops_reduce"), "model.pte");
}
