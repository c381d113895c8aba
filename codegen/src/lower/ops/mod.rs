//! The registry: one lowering function per ExecuTorch op, found by name.

mod adaptive_pool;
mod addmm;
mod any;
mod arange;
mod avg_pool;
mod batch_norm;
mod binary;
mod cat;
mod distance;
mod embedding_q;
mod clamp;
mod compare;
pub mod conv;
pub mod conv_transpose;
mod copy;
mod expand;
mod fft;
mod full;
mod gather;
mod group_norm;
mod index_put;
mod index_select;
mod layer_norm;
mod linear;
mod llama;
mod logical;
mod max_pool;
mod mean;
mod pad;
mod permute;
mod pow;
pub mod prim;
pub mod promote;
mod quantize;
mod reduce;
mod reshape;
pub mod resize;
mod scatter;
mod select;
mod shape;
mod slice;
mod softmax;
mod split;
mod state;
mod unary;
mod where_;

use super::cx::Cx;
use crate::error::Result;
use crate::ir::{BinaryFn, CmpFn, LogicFn, UnaryFn};

pub use binary::broadcasts_to;

type Lower = fn(&mut Cx<'_, '_>, &[usize]) -> Result<()>;

/// Every supported `name.overload`, sorted.
const OPS: &[(&str, Lower)] = &[
    ("aten::_adaptive_avg_pool2d.out", adaptive_pool::avg),
    ("aten::_cdist_forward.out", distance::cdist),
    ("aten::_fft_r2c.out", fft::r2c),
    ("aten::_local_scalar_dense", llama::local_scalar_dense),
    ("aten::_log_softmax.out", softmax::log_softmax),
    ("aten::_native_batch_norm_legit.no_stats_out", batch_norm::no_stats),
    ("aten::_native_batch_norm_legit.out", batch_norm::legit),
    ("aten::_native_batch_norm_legit_no_training.out", batch_norm::lower),
    ("aten::_pdist_forward.out", distance::pdist),
    ("aten::_softmax.out", softmax::softmax),
    ("aten::_to_copy.out", shape::to_copy),
    ("aten::_upsample_bilinear2d_aa.out", resize::bilinear_aa),
    ("aten::abs.out", fft::abs),
    ("aten::acos.out", |cx, a| unary::lower(cx, a, UnaryFn::Acos)),
    ("aten::acosh.out", |cx, a| unary::lower(cx, a, UnaryFn::Acosh)),
    ("aten::add.Scalar_out", binary::add_scalar),
    ("aten::add.out", binary::add),
    ("aten::addmm.out", addmm::addmm),
    ("aten::alias_copy.out", reshape::lower),
    ("aten::amax.out", reduce::amax),
    ("aten::amin.out", reduce::amin),
    ("aten::any.all_out", any::all),
    ("aten::any.dims_out", any::dims),
    ("aten::any.out", any::dim),
    ("aten::arange.out", arange::end),
    ("aten::arange.start_out", arange::start),
    ("aten::argmax.out", reduce::argmax),
    ("aten::argmin.out", reduce::argmin),
    ("aten::as_strided_copy.out", gather::as_strided),
    ("aten::asin.out", |cx, a| unary::lower(cx, a, UnaryFn::Asin)),
    ("aten::asinh.out", |cx, a| unary::lower(cx, a, UnaryFn::Asinh)),
    ("aten::atan.out", |cx, a| unary::lower(cx, a, UnaryFn::Atan)),
    ("aten::atan2.out", |cx, a| binary::tensor(cx, a, BinaryFn::Atan2)),
    ("aten::atanh.out", |cx, a| unary::lower(cx, a, UnaryFn::Atanh)),
    ("aten::avg_pool2d.out", avg_pool::lower),
    ("aten::bitwise_and.Scalar_out", |cx, a| binary::with_scalar_b(cx, a, BinaryFn::BitAnd)),
    ("aten::bitwise_and.Tensor_out", |cx, a| binary::tensor(cx, a, BinaryFn::BitAnd)),
    ("aten::bitwise_not.out", logical::bitwise_not),
    ("aten::bitwise_or.Scalar_out", |cx, a| binary::with_scalar_b(cx, a, BinaryFn::BitOr)),
    ("aten::bitwise_or.Tensor_out", |cx, a| binary::tensor(cx, a, BinaryFn::BitOr)),
    ("aten::bitwise_xor.Scalar_out", |cx, a| binary::with_scalar_b(cx, a, BinaryFn::BitXor)),
    ("aten::bitwise_xor.Tensor_out", |cx, a| binary::tensor(cx, a, BinaryFn::BitXor)),
    ("aten::bmm.out", addmm::bmm),
    ("aten::cat.out", cat::lower),
    ("aten::ceil.out", |cx, a| unary::lower(cx, a, UnaryFn::Ceil)),
    ("aten::clamp.Tensor_out", clamp::clamp_tensor),
    ("aten::clamp.out", clamp::clamp),
    ("aten::clone.out", copy::clone),
    ("aten::constant_pad_nd.out", pad::lower),
    ("aten::convolution.out", conv::lower),
    ("aten::copy.out", scatter::copy),
    ("aten::copy_", state::copy_),
    ("aten::cos.out", |cx, a| unary::lower(cx, a, UnaryFn::Cos)),
    ("aten::cosh.out", |cx, a| unary::lower(cx, a, UnaryFn::Cosh)),
    ("aten::cumsum.out", reduce::cumsum),
    ("aten::detach_copy.out", shape::identity),
    ("aten::diagonal_copy.out", gather::diagonal),
    ("aten::div.Scalar_mode_out", binary::div_scalar_mode),
    ("aten::div.Scalar_out", binary::div_scalar),
    ("aten::div.out", binary::div),
    ("aten::div.out_mode", binary::div_mode),
    ("aten::elu.out", unary::elu),
    ("aten::embedding.out", index_select::embedding),
    ("aten::empty.out", full::empty),
    ("aten::eq.Scalar_out", |cx, a| compare::scalar(cx, a, CmpFn::Eq)),
    ("aten::eq.Tensor_out", |cx, a| compare::tensor(cx, a, CmpFn::Eq)),
    ("aten::erf.out", |cx, a| unary::lower(cx, a, UnaryFn::Erf)),
    ("aten::exp.out", |cx, a| unary::lower(cx, a, UnaryFn::Exp)),
    ("aten::expand_copy.out", expand::lower),
    ("aten::expm1.out", |cx, a| unary::lower(cx, a, UnaryFn::Expm1)),
    ("aten::fill.Scalar_out", full::fill_scalar),
    ("aten::fill.Tensor_out", full::fill_tensor),
    ("aten::flip.out", gather::flip),
    ("aten::floor.out", |cx, a| unary::lower(cx, a, UnaryFn::Floor)),
    ("aten::floor_divide.out", |cx, a| binary::tensor(cx, a, BinaryFn::FloorDiv)),
    ("aten::fmod.Scalar_out", |cx, a| binary::with_scalar_b(cx, a, BinaryFn::Fmod)),
    ("aten::fmod.Tensor_out", |cx, a| binary::tensor(cx, a, BinaryFn::Fmod)),
    ("aten::full.out", full::full),
    ("aten::full_like.out", full::full_like),
    ("aten::gather.out", gather::gather),
    ("aten::ge.Scalar_out", |cx, a| compare::scalar(cx, a, CmpFn::Ge)),
    ("aten::ge.Tensor_out", |cx, a| compare::tensor(cx, a, CmpFn::Ge)),
    ("aten::gelu.out", unary::gelu),
    ("aten::glu.out", shape::glu),
    ("aten::grid_sampler_2d.out", resize::grid_sampler),
    ("aten::gt.Scalar_out", |cx, a| compare::scalar(cx, a, CmpFn::Gt)),
    ("aten::gt.Tensor_out", |cx, a| compare::tensor(cx, a, CmpFn::Gt)),
    ("aten::hardtanh.out", clamp::hardtanh),
    ("aten::index.Tensor_out", gather::index),
    ("aten::index_put.out", index_put::lower),
    ("aten::index_select.out", index_select::index_select),
    ("aten::isinf.out", |cx, a| unary::lower(cx, a, UnaryFn::IsInf)),
    ("aten::isnan.out", |cx, a| unary::lower(cx, a, UnaryFn::IsNan)),
    ("aten::le.Scalar_out", |cx, a| compare::scalar(cx, a, CmpFn::Le)),
    ("aten::le.Tensor_out", |cx, a| compare::tensor(cx, a, CmpFn::Le)),
    ("aten::leaky_relu.out", unary::leaky_relu),
    ("aten::lift_fresh_copy.out", shape::identity),
    ("aten::linear.out", linear::linear),
    ("aten::log.out", |cx, a| unary::lower(cx, a, UnaryFn::Log)),
    ("aten::log10.out", |cx, a| unary::lower(cx, a, UnaryFn::Log10)),
    ("aten::log1p.out", |cx, a| unary::lower(cx, a, UnaryFn::Log1p)),
    ("aten::log2.out", |cx, a| unary::lower(cx, a, UnaryFn::Log2)),
    ("aten::logical_and.out", |cx, a| logical::binary(cx, a, LogicFn::And)),
    ("aten::logical_not.out", logical::logical_not),
    ("aten::logical_or.out", |cx, a| logical::binary(cx, a, LogicFn::Or)),
    ("aten::logical_xor.out", |cx, a| logical::binary(cx, a, LogicFn::Xor)),
    ("aten::logit.out", shape::logit),
    ("aten::lt.Scalar_out", |cx, a| compare::scalar(cx, a, CmpFn::Lt)),
    ("aten::lt.Tensor_out", |cx, a| compare::tensor(cx, a, CmpFn::Lt)),
    ("aten::masked_fill.Scalar_out", full::masked_fill),
    ("aten::masked_scatter.out", distance::masked_scatter),
    ("aten::masked_select.out", gather::masked_select_out),
    ("aten::max.dim_max", reduce::max_dim),
    ("aten::max.unary_out", reduce::max_all),
    ("aten::max_pool2d_with_indices.out", max_pool::lower),
    ("aten::maximum.out", binary::maximum),
    ("aten::mean.dtype_out", mean::all),
    ("aten::mean.out", mean::lower),
    ("aten::min.dim_min", reduce::min_dim),
    ("aten::min.unary_out", reduce::min_all),
    ("aten::minimum.out", binary::minimum),
    ("aten::mm.out", addmm::mm),
    ("aten::mul.Scalar_out", binary::mul_scalar),
    ("aten::mul.out", binary::mul),
    ("aten::narrow_copy.out", shape::narrow),
    ("aten::native_group_norm.out", group_norm::lower),
    ("aten::native_layer_norm.out", layer_norm::lower),
    ("aten::ne.Scalar_out", |cx, a| compare::scalar(cx, a, CmpFn::Ne)),
    ("aten::ne.Tensor_out", |cx, a| compare::tensor(cx, a, CmpFn::Ne)),
    ("aten::neg.out", |cx, a| unary::lower(cx, a, UnaryFn::Neg)),
    ("aten::ones.out", full::ones),
    ("aten::permute_copy.out", permute::lower),
    ("aten::pixel_shuffle.out", shape::pixel_shuffle),
    ("aten::pixel_unshuffle.out", shape::pixel_unshuffle),
    ("aten::pow.Scalar_out", binary::pow_scalar_base),
    ("aten::pow.Tensor_Scalar_out", pow::lower),
    ("aten::pow.Tensor_Tensor_out", |cx, a| binary::tensor(cx, a, BinaryFn::Pow)),
    ("aten::prod.int_out", reduce::prod_dim),
    ("aten::prod.out", reduce::prod_all),
    ("aten::rand.out", |cx, a| full::random(cx, a, false)),
    ("aten::randn.out", |cx, a| full::random(cx, a, true)),
    ("aten::reciprocal.out", |cx, a| unary::lower(cx, a, UnaryFn::Reciprocal)),
    ("aten::reflection_pad1d.out", shape::reflection),
    ("aten::reflection_pad2d.out", shape::reflection),
    ("aten::reflection_pad3d.out", shape::reflection),
    ("aten::relu.out", |cx, a| unary::lower(cx, a, UnaryFn::Relu)),
    ("aten::remainder.Scalar_out", |cx, a| binary::with_scalar_b(cx, a, BinaryFn::Remainder)),
    ("aten::remainder.Tensor_out", |cx, a| binary::tensor(cx, a, BinaryFn::Remainder)),
    ("aten::repeat.out", gather::repeat),
    ("aten::replication_pad1d.out", shape::replication),
    ("aten::replication_pad2d.out", shape::replication),
    ("aten::replication_pad3d.out", shape::replication),
    ("aten::roll.out", shape::roll),
    ("aten::round.out", |cx, a| unary::lower(cx, a, UnaryFn::Round)),
    ("aten::rsqrt.out", |cx, a| unary::lower(cx, a, UnaryFn::Rsqrt)),
    ("aten::rsub.Scalar_out", binary::rsub_scalar),
    ("aten::scalar_tensor.out", full::scalar_tensor),
    ("aten::scatter.src_out", scatter::scatter_src),
    ("aten::scatter.value_out", scatter::scatter_value),
    ("aten::scatter_add.out", scatter::scatter_add),
    ("aten::select_copy.int_out", select::lower),
    ("aten::select_scatter.out", shape::select_scatter),
    ("aten::sigmoid.out", |cx, a| unary::lower(cx, a, UnaryFn::Sigmoid)),
    ("aten::sign.out", |cx, a| unary::lower(cx, a, UnaryFn::Sign)),
    ("aten::sin.out", |cx, a| unary::lower(cx, a, UnaryFn::Sin)),
    ("aten::sinh.out", |cx, a| unary::lower(cx, a, UnaryFn::Sinh)),
    ("aten::slice_copy.Tensor_out", slice::lower),
    ("aten::slice_scatter.out", scatter::slice_scatter),
    ("aten::split_copy.Tensor_out", shape::split),
    ("aten::split_with_sizes_copy.out", split::lower),
    ("aten::sqrt.out", |cx, a| unary::lower(cx, a, UnaryFn::Sqrt)),
    ("aten::squeeze_copy.dim_out", shape::squeeze_dim),
    ("aten::squeeze_copy.dims_out", reshape::lower),
    ("aten::stack.out", shape::stack),
    ("aten::sub.Scalar_out", binary::sub_scalar),
    ("aten::sub.out", binary::sub),
    ("aten::sum.IntList_out", reduce::sum),
    ("aten::sym_size.int", prim::sym_size),
    ("aten::t_copy.out", shape::t),
    ("aten::tan.out", |cx, a| unary::lower(cx, a, UnaryFn::Tan)),
    ("aten::tanh.out", |cx, a| unary::lower(cx, a, UnaryFn::Tanh)),
    ("aten::topk.values", reduce::topk),
    ("aten::transpose_copy.int_out", shape::transpose),
    ("aten::tril.out", shape::tril),
    ("aten::trunc.out", |cx, a| unary::lower(cx, a, UnaryFn::Trunc)),
    ("aten::unbind_copy.int_out", shape::unbind),
    ("aten::unfold_copy.out", gather::unfold),
    ("aten::unsqueeze_copy.out", reshape::lower),
    ("aten::upsample_bilinear2d.vec_out", resize::bilinear),
    ("aten::upsample_nearest2d.vec_out", resize::nearest),
    ("aten::var.correction_out", reduce::var_correction),
    ("aten::var.out", reduce::var_unbiased),
    ("aten::var_mean.correction_out", reduce::var_mean),
    ("aten::view_copy.out", reshape::lower),
    ("aten::where.self_out", where_::lower),
    ("aten::zeros.out", full::zeros),
    ("dim_order_ops::_clone_dim_order.out", copy::to_dim_order_copy),
    ("dim_order_ops::_to_dim_order_copy.out", copy::to_dim_order_copy),
    ("executorch_prim::add.Scalar", |cx, a| prim::scalar_op(cx, a, "add")),
    ("executorch_prim::et_view.default", prim::et_view),
    ("executorch_prim::floordiv.Scalar", |cx, a| prim::scalar_op(cx, a, "floordiv")),
    ("executorch_prim::mul.Scalar", |cx, a| prim::scalar_op(cx, a, "mul")),
    ("executorch_prim::sub.Scalar", |cx, a| prim::scalar_op(cx, a, "sub")),
    ("llama::custom_sdpa.out", llama::custom_sdpa),
    ("llama::update_cache.out", llama::update_cache),
    ("quantized_decomposed::dequantize_per_channel.out", quantize::dequantize_per_channel),
    ("quantized_decomposed::dequantize_per_tensor.out", quantize::dequantize_per_tensor),
    ("quantized_decomposed::embedding_4bit.dtype_out", |cx, a| embedding_q::four_bit(cx, a, true)),
    ("quantized_decomposed::embedding_4bit.out", |cx, a| embedding_q::four_bit(cx, a, false)),
    ("quantized_decomposed::embedding_byte.dtype_out", |cx, a| embedding_q::byte(cx, a, true)),
    ("quantized_decomposed::embedding_byte.out", |cx, a| embedding_q::byte(cx, a, false)),
    ("quantized_decomposed::quantize_per_tensor.out", quantize::quantize_per_tensor),
];

fn find(name: &str) -> Option<Lower> {
    OPS.binary_search_by(|(n, _)| (*n).cmp(name)).ok().map(|i| OPS[i].1)
}

pub fn is_supported(name: &str) -> bool {
    find(name).is_some()
}

/// Lowers one kernel call; `None` when the op is unsupported.
pub fn lower(name: &str, cx: &mut Cx<'_, '_>, args: &[usize]) -> Option<Result<()>> {
    let f = find(name)?;
    Some(complex_args(name, cx, args).and_then(|()| f(cx, args)))
}

/// Ops that move complex values (f32 pairs) as they are, complex in and out.
const COMPLEX_MOVES: &[&str] = &[
    "aten::alias_copy.out",
    "aten::clone.out",
    "aten::permute_copy.out",
    "aten::squeeze_copy.dim_out",
    "aten::squeeze_copy.dims_out",
    "aten::unsqueeze_copy.out",
    "aten::view_copy.out",
];

/// Complex tensors reach only the ops that know them: `_fft_r2c` and `abs`
/// check their own, the moves need every tensor complex or none.
fn complex_args(name: &str, cx: &Cx<'_, '_>, args: &[usize]) -> Result<()> {
    if matches!(name, "aten::_fft_r2c.out" | "aten::abs.out") {
        return Ok(());
    }
    let complex: Vec<bool> = args.iter().filter(|&&a| cx.is_tensor(a)).map(|&a| cx.is_complex(a)).collect();
    if !complex.contains(&true) {
        return Ok(());
    }
    if COMPLEX_MOVES.binary_search(&name).is_ok() && complex.iter().all(|&c| c) {
        return Ok(());
    }
    Err(cx.invalid(format!("{name} on complex tensors is not supported (only _fft_r2c, abs, permutes and views are)")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_is_sorted_for_binary_search() {
        assert!(super::OPS.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(super::COMPLEX_MOVES.windows(2).all(|w| w[0] < w[1]));
    }
}
