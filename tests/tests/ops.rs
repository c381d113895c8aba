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

/// Channels-last activations (dim order [0, 2, 3, 1]) through convolutions,
/// pools, an `as_strided_copy` over that memory and a linear layer: etch holds
/// them row-major.
#[test]
fn layout() {
    verify(&fixture("ops_layout"), "model.pte");
}

/// The same through XNNPACK, whose delegate reads and writes that memory as NHWC.
#[test]
fn xnnpack_layout() {
    verify(&fixture("ops_layout"), "model.xnnpack.pte");
}

/// `max.dim` with indices over H and W, portable and as XNNPACK's
/// ArgMaxPooling2d (which ExecuTorch 1.5.1's partitioner is patched to emit).
#[test]
fn argmax_pool() {
    verify(&fixture("xnn_argmax_pool"), "model.pte");
}

#[test]
fn xnnpack_argmax_pool() {
    verify(&fixture("xnn_argmax_pool"), "model.xnnpack.pte");
}

/// `scaled_dot_product_attention` (`tests/export/xnnpack_sdpa.py`), portable and
/// as XNNPACK's ScaledDotProductAttention: a mask input and scale 0.3, a
/// constant -inf causal mask and the default scale, and the multi-query form
/// (key and value without a head dim). ExecuTorch 1.5.1 writes that node only
/// with the config and visitor the script adds and cannot run it, so both
/// programs are checked against its runtime's outputs on the portable one.
#[test]
fn sdpa() {
    verify(&fixture("xnn_sdpa"), "model.pte");
    verify(&fixture("xnn_sdpa_causal"), "model.pte");
    verify(&fixture("xnn_sdpa_mqa"), "model.pte");
}

#[test]
fn xnnpack_sdpa() {
    verify(&fixture("xnn_sdpa"), "model.xnnpack.pte");
    verify(&fixture("xnn_sdpa_causal"), "model.xnnpack.pte");
    verify(&fixture("xnn_sdpa_mqa"), "model.xnnpack.pte");
}

/// sum, prod, amax/amin, max/min (all and per dim, with indices), argmax/argmin,
/// var/std, cumsum, mean and topk: over one, several, negative and all dims,
/// with and without keepdim, on f32 and i64.
#[test]
fn reduce() {
    verify(&fixture("ops_reduce"), "model.pte");
}

/// bitwise and/or/xor/not on i64 and bool (tensor and scalar forms), division
/// with rounding modes (floor, trunc) on ints and floats, floor_divide,
/// remainder, fmod, integer pow, add/sub/mul on i64.
#[test]
fn bitwise() {
    verify(&fixture("ops_bitwise"), "model.pte");
}

/// log1p, expm1, log2, log10, reciprocal, trunc, round (half to even), sign,
/// erf, the trig and hyperbolic family, atan2, pow (scalar base, tensor
/// exponent), isnan, isinf, and decomposed logit, hardswish, silu, softplus, glu.
#[test]
fn unary() {
    verify(&fixture("ops_unary"), "model.pte");
}

/// The same with XNNPACK taking what it can.
#[test]
fn xnnpack_unary() {
    verify(&fixture("ops_unary"), "model.xnnpack.pte");
}

/// Group norm (affine and not), instance norm (batch norm by its own
/// statistics, 1-D and 2-D, affine), nearest upsampling (by a scale, to a size)
/// grid sampling (bilinear and nearest, zeros/border/reflection, both alignments)
/// and antialiased bilinear resizing (down and up, aligned corners).
#[test]
fn norm() {
    verify(&fixture("ops_norm"), "model.pte");
}

/// The same program through XNNPACK (which leaves both ops to the portable kernels).
#[test]
fn xnnpack_norm() {
    verify(&fixture("ops_norm"), "model.xnnpack.pte");
}

/// index.Tensor (one and two index tensors, negative indices, a leading
/// slice), gather, index_select, where, masked_fill, flip, roll, tril,
/// transpose, repeat, stack, unbind, diagonal, narrow, reflection and
/// replication padding (as ExecuTorch decomposes them), integer clamp.
#[test]
fn index() {
    verify(&fixture("ops_index"), "model.pte");
}

/// Adaptive average pooling, unfold, scatter (value, src, add), slice_scatter,
/// copy (broadcast and cast), clamp with tensor bounds, var_mean, mean with a
/// dtype, nearest upsampling of u8.
#[test]
fn misc() {
    verify(&fixture("ops_misc"), "model.pte");
}

/// Forms the other groups do not reach: log_softmax, scalar arithmetic,
/// comparisons (tensor and scalar), any over all and over dims, bool
/// bitwise ops, hardtanh, var, arange, as_strided, a 4-way cat, elu, a global mean,
/// logical_or and logical_xor across dtypes.
#[test]
fn cover() {
    verify(&fixture("ops_cover"), "model.pte");
}

/// The same through XNNPACK (GlobalAvgPooling2d, Concatenate4).
#[test]
fn xnnpack_cover() {
    verify(&fixture("ops_cover"), "model.xnnpack.pte");
}

/// Ops the default decomposition removes, kept whole by `tests/export/preserved.py`:
/// stack, t, transpose, squeeze.dim, split, unbind, zeros/ones, fill, masked_fill,
/// glu, logit, roll, tril, select_scatter.
#[test]
fn preserved_shapes() {
    verify(&fixture("ops_preserved_shapes"), "model.pte");
}

/// pixel_shuffle/unshuffle and the reflection and replication pads, 1-D to 3-D.
#[test]
fn preserved_pixels() {
    verify(&fixture("ops_preserved_pixels"), "model.pte");
}

/// cdist (p 0, 1, 2, 3 and infinity, a broadcast batch), pdist, and
/// masked_scatter (with a source that could run out: that method returns a Result).
#[test]
fn distance() {
    verify(&fixture("ops_distance"), "model.pte");
}

/// Scalar overloads called by name (add/sub/div .Scalar, div.Scalar_mode on
/// floats and ints), floor_divide, rsub, var.out, arange.out, fill.Tensor, detach_copy.
#[test]
fn preserved_forms() {
    verify(&fixture("ops_preserved_forms"), "model.pte");
}

/// rand and randn, through outputs that do not depend on their values (ExecuTorch
/// seeds them from the system; etch takes a `seed` argument).
#[test]
fn edge_random() {
    verify(&fixture("edge_random"), "model.pte");
}

/// masked_select and boolean-mask indexing: planned at their bound, each
/// returned as a slice of the rows the data selects (one case selects none).
#[test]
fn edge_counted() {
    verify(&fixture("edge_counted"), "model.pte");
}

/// XNNPACK twins of the families above: the partitioner takes their slices,
/// transposes, concatenations and elementwise ops; the rest stays portable.
#[test]
fn xnnpack_reduce() {
    verify(&fixture("ops_reduce"), "model.xnnpack.pte");
}

#[test]
fn xnnpack_bitwise() {
    verify(&fixture("ops_bitwise"), "model.xnnpack.pte");
}

#[test]
fn xnnpack_index() {
    verify(&fixture("ops_index"), "model.xnnpack.pte");
}

#[test]
fn xnnpack_misc() {
    verify(&fixture("ops_misc"), "model.xnnpack.pte");
}

#[test]
fn xnnpack_distance() {
    verify(&fixture("ops_distance"), "model.xnnpack.pte");
}

/// i32, i8, u8 and bool through arithmetic, comparisons, where, cat (mixed
/// dtypes cast like ExecuTorch), casts from and to f32, reductions and layout ops.
#[test]
fn dtypes() {
    verify(&fixture("ops_dtypes"), "model.pte");
}

/// index_put with one and two index tensors (negative ones wrap), a leading
/// slice, broadcast values and accumulation over repeated positions.
#[test]
fn put() {
    verify(&fixture("ops_put"), "model.pte");
}

#[test]
fn xnnpack_put() {
    verify(&fixture("ops_put"), "model.xnnpack.pte");
}

/// Forms the vision sweep (`tests/export/sweep_vision.py`) found: max and
/// average pooling with `ceil_mode`, padded and not, square and not, and
/// dilated convolutions whose taps reach past the whole input.
#[test]
fn vision() {
    verify(&fixture("ops_vision"), "model.pte");
}

/// The same through XNNPACK, which gets `ceil_mode` as extra padding at the
/// bottom and right of its max pooling windows.
#[test]
fn xnnpack_vision() {
    verify(&fixture("ops_vision"), "model.xnnpack.pte");
}

/// One-sided real FFTs (`_fft_r2c`) over the last dim, odd and even lengths,
/// each normalization; complex values through `abs` and `permute_copy`;
/// `torch.stft`'s magnitude, as torchaudio's spectrograms take it.
#[test]
fn fft() {
    verify(&fixture("ops_fft"), "model.pte");
}

/// 3×3 stride-1 convolutions large enough for the Winograd kernel (odd sizes,
/// so the last tiles are partial), with and without a bias and a fused ReLU,
/// beside two that stay on im2col; portable and through XNNPACK.
#[test]
fn winograd() {
    for program in ["model.pte", "model.xnnpack.pte"] {
        let bytes = std::fs::read(fixture("ops_winograd").join(program)).unwrap();
        let g = etch_codegen::generate(&bytes, &etch_codegen::Config::new("ops_winograd")).unwrap();
        assert_eq!(g.model_rs.matches("winograd::conv3x3_winograd(").count(), 2, "{program}");
        verify(&fixture("ops_winograd"), program);
    }
    // Its transforms split by channels on 2 threads.
    etch_tests::verify_with(&fixture("ops_winograd"), "model.pte", &etch_cli::run::Setup { threads: 2, ..etch_tests::setup() });
}

/// Codegen plans the Winograd kernel's scratch with its own copy of the
/// kernel's formula: the two agree (a short scratch would make the kernel skip).
#[test]
fn winograd_scratch_matches_the_kernel() {
    for (cin, cout) in [(16, 16), (24, 32), (64, 64), (128, 96), (512, 512), (3000, 17)] {
        for (h, w) in [(8, 8), (15, 17), (56, 56), (63, 57), (224, 224), (9, 301)] {
            let want = etch_kernels::conv::winograd::scratch(cin, cout, h, w);
            assert_eq!(etch_codegen::ir::winograd_scratch(cin, cout, h, w), want, "{cin}->{cout} {h}x{w}");
        }
    }
}
