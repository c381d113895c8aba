//! One emitter per IR op: a direct call into `etch_kernels` with constant shapes.

mod any;
mod arange;
mod attention;
mod avg_pool;
mod batch_norm;
mod binary;
mod cast;
mod clamp;
mod compare;
mod concat;
mod conv;
mod conv_transpose;
mod dynamic;
mod embedding_q;
mod fft;
mod fill;
mod gather;
mod index;
mod int8;
mod layer_norm;
mod linear;
mod linear_q4;
mod map;
mod max_pool;
mod mean;
mod pad;
mod pow;
mod quantize;
mod reduce;
mod resize;
mod rows;
mod softmax;
mod unary;
mod where_;

use proc_macro2::TokenStream;

use super::operands::Operands;
use crate::ir::{Method, Node, Op};

/// The kernel call of `node`; its operands are bound by `o.prelude`.
pub fn emit(m: &Method, node: &Node, o: &Operands) -> TokenStream {
    let shape = |v: usize| m.values[v].ty.shape.clone();
    let dtype = |v: usize| m.values[v].ty.dtype;
    let (r, w) = (&o.reads, &o.writes);
    let out_shape = shape(node.outputs[0]);
    if let Some(call) = dynamic::emit(m, node, r, w) {
        return call;
    }
    if rows::row_by_row(&node.op) && node.inputs.iter().chain(&node.outputs).any(|&v| m.dynamic.is_dynamic(v)) {
        return rows::emit(m, node, r, w, |row, r, w| {
            let o = Operands { prelude: TokenStream::new(), reads: r.to_vec(), writes: w.to_vec() };
            emit(row, node, &o)
        });
    }
    match &node.op {
        Op::Unary(f) => unary::emit(*f, dtype(node.inputs[0]), dtype(node.outputs[0]), r, w),
        Op::Binary { f, alpha } => binary::emit(m, node, *f, *alpha, r, w),
        Op::Clamp { min, max } => clamp::emit(*min, *max, dtype(node.inputs[0]), r, w),
        Op::Cast => cast::cast(dtype(node.inputs[0]), dtype(node.outputs[0]), r, w),
        Op::Copy => cast::copy(r, w),
        Op::Mean { dims } => mean::emit(&shape(node.inputs[0]), dims, r, w),
        Op::Reduce { f, dims } => reduce::emit(m, node, *f, dims, r, w),
        Op::Var { dims, correction } => reduce::var(&shape(node.inputs[0]), dims, *correction, r, w),
        Op::Cumsum { dim } => reduce::cumsum(&shape(node.inputs[0]), *dim, dtype(node.inputs[0]), dtype(node.outputs[0]), r, w),
        Op::Topk { k, dim, largest } => reduce::topk(&shape(node.inputs[0]), *dim, *k, *largest, dtype(node.inputs[0]), r, w),
        Op::Softmax { dim, log } => softmax::emit(&out_shape, *dim, *log, r, w),
        Op::Addmm { beta, alpha } => linear::addmm(&shape(node.inputs[0]), &out_shape, m.values[node.inputs[1]].ty.shape[1], *beta, *alpha, r, w),
        Op::Mm => linear::mm(&shape(node.inputs[0]), &out_shape, r, w),
        Op::Bmm => linear::bmm(&shape(node.inputs[0]), &out_shape, r, w),
        Op::Conv2d(c) => conv::emit(c, &shape(node.inputs[0]), &shape(node.inputs[1]), &out_shape, r, w),
        Op::Winograd(c) => conv::winograd(c, &shape(node.inputs[0]), &out_shape, r, w),
        Op::ConvTranspose2d(c) => {
            let ws = shape(node.inputs[1]);
            conv_transpose::emit(c, &shape(node.inputs[0]), [ws[2], ws[3]], &out_shape, r, w)
        }
        Op::MaxPool2d(p) => max_pool::emit(p, &shape(node.inputs[0]), &out_shape, r, w),
        Op::ArgMaxPool2d(p) => max_pool::argmax(p, &shape(node.inputs[0]), &out_shape, r, w),
        Op::AvgPool2d { pool, count_include_pad, divisor } => avg_pool::emit(pool, *count_include_pad, *divisor, &shape(node.inputs[0]), &out_shape, r, w),
        Op::ResizeBilinear { align_corners, ratio } => resize::bilinear(*align_corners, *ratio, &shape(node.inputs[0]), &out_shape, r, w),
        Op::ResizeBilinearAa { scale } => resize::bilinear_aa(*scale, &shape(node.inputs[0]), &out_shape, r, w),
        Op::ResizeNearest { ratio } => resize::nearest(*ratio, &shape(node.inputs[0]), &out_shape, r, w),
        Op::GroupNorm { .. } => layer_norm::group(m, node, r, w),
        Op::BatchStatNorm { .. } => layer_norm::batch_stats(m, node, r, w),
        Op::AdaptiveAvgPool2d => avg_pool::adaptive(&shape(node.inputs[0]), &out_shape, dtype(node.inputs[0]), r, w),
        Op::Scatter { dim, add } => index::scatter(m, node, *dim, *add, r, w),
        Op::PadEdges { before, reflect } => index::pad_edges(&shape(node.inputs[0]), before, *reflect, &out_shape, r, w),
        Op::MaskedScatter => index::masked_scatter(m, node, r, w),
        Op::Cdist { p } => index::cdist(&shape(node.inputs[0]), &shape(node.inputs[1]), *p, r, w),
        Op::Pdist { p } => index::pdist(&shape(node.inputs[0]), *p, r, w),
        Op::GridSample { nearest, padding, align_corners } => resize::grid(*nearest, *padding, *align_corners, &shape(node.inputs[0]), &out_shape, r, w),
        Op::Random { normal, stream } => {
            let (f, o) = (if *normal { quote::quote!(normal) } else { quote::quote!(uniform) }, &w[0]);
            quote::quote!(::etch_kernels::elementwise::random::#f(#o, seed, #stream);)
        }
        Op::MaskedSelect => index::masked_select(m, node, r, w),
        Op::Roll { shifts } => index::roll(&shape(node.inputs[0]), shifts, r, w),
        Op::Tril { diagonal } => index::tril(&shape(node.inputs[0]), *diagonal, r, w),
        Op::RealFft { outer, n, inner, scale } => fft::real(*outer, *n, *inner, *scale, r, w),
        Op::ComplexAbs => fft::complex_abs(r, w),
        Op::LeakyRelu { slope } => unary::leaky_relu(*slope, r, w),
        Op::Elu { alpha, scale, input_scale } => unary::elu(*alpha, *scale, *input_scale, r, w),
        Op::Pad { before, value } => pad::emit(before, *value, dtype(node.outputs[0]), &shape(node.inputs[0]), &out_shape, r, w),
        Op::BatchNorm { eps, has_weight, has_bias } => batch_norm::emit(&shape(node.inputs[0]), *eps, *has_weight, *has_bias, r, w),
        Op::Gather { offset, strides } => gather::emit(*offset, strides, &out_shape, r, w),
        Op::Concat { dim } => {
            let parts: Vec<Vec<usize>> = node.inputs.iter().map(|&v| shape(v)).collect();
            concat::emit(*dim, &parts, &out_shape, r, w)
        }
        Op::Fill { value } => fill::emit(*value, dtype(node.outputs[0]), w),
        Op::Compare(f) => compare::compare(m, node, *f, r, w),
        Op::Logical(f) => compare::logical(m, node, *f, r, w),
        Op::Not { bitwise } => compare::not(m, node, *bitwise, r, w),
        Op::Where => where_::emit(m, node, r, w),
        Op::Any { dims } => any::emit(&shape(node.inputs[0]), dtype(node.inputs[0]), dims, r, w),
        Op::Arange { start, step } => arange::emit(*start, *step, dtype(node.outputs[0]), w),
        Op::Pow { exponent } => pow::emit(*exponent, dtype(node.inputs[0]), dtype(node.outputs[0]), r, w),
        Op::IndexSelect { dim, .. } => index::select(m, node, *dim, r, w),
        Op::GatherIndex { dim } => index::gather(m, node, *dim, r, w),
        Op::IndexTensor { first } => index::tensor(m, node, *first, r, w),
        Op::Flip { dims } => index::flip(&shape(node.inputs[0]), dims, r, w),
        Op::IndexPut { dim, accumulate } => index::put(m, node, *dim, *accumulate, r, w),
        Op::LayerNorm { .. } => layer_norm::emit(m, node, r, w),
        Op::LayerNormStat { eps, inner, rstd } => layer_norm::stat(m, node, *eps, *inner, *rstd, r, w),
        Op::Quantize { scale, zero_point, min, max } => quantize::quantize(*scale, *zero_point, *min, *max, r, w),
        Op::DynamicQuant { row } => quantize::dynamic(*row, r, w),
        Op::Dequantize { scale, zero_point } => quantize::dequantize(*scale, *zero_point, r, w),
        Op::DequantizePerChannel { axis } => quantize::per_channel(&shape(node.inputs[0]), *axis, r, w),
        Op::Int8(q) => int8::emit(m, node, q, r, w),
        Op::Map(steps) => map::emit(steps, r, w),
        Op::UpdateCache => attention::update_cache(m, node, r, w),
        Op::Sdpa { causal, scale } => attention::sdpa(m, node, *causal, *scale, r, w),
        Op::EmbeddingQ { bits, groups, has_zp } => embedding_q::emit(m, node, *bits, *groups, *has_zp, r, w),
        Op::LinearQ4 { group, has_bias } => linear_q4::emit(m, node, *group, *has_bias, r, w),
        Op::SliceRows { .. } => rows::slice_rows(m, node, r, w),
    }
}
