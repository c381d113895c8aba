//! The registry: one lowering function per ExecuTorch op, found by name.

mod addmm;
mod batch_norm;
mod binary;
mod cat;
mod clamp;
mod conv;
mod copy;
mod full;
mod max_pool;
mod mean;
mod permute;
mod reshape;
mod select;
mod slice;
mod softmax;
mod split;
mod unary;

use super::cx::Cx;
use crate::error::Result;
use crate::ir::UnaryFn;

type Lower = fn(&mut Cx<'_, '_>, &[usize]) -> Result<()>;

/// Every supported `name.overload`, sorted.
const OPS: &[(&str, Lower)] = &[
    ("aten::_log_softmax.out", softmax::log_softmax),
    ("aten::_native_batch_norm_legit_no_training.out", batch_norm::lower),
    ("aten::_softmax.out", softmax::softmax),
    ("aten::abs.out", |cx, a| unary::lower(cx, a, UnaryFn::Abs)),
    ("aten::add.out", binary::add),
    ("aten::addmm.out", addmm::addmm),
    ("aten::alias_copy.out", reshape::lower),
    ("aten::bmm.out", addmm::bmm),
    ("aten::cat.out", cat::lower),
    ("aten::clamp.out", clamp::clamp),
    ("aten::clone.out", copy::clone),
    ("aten::convolution.out", conv::lower),
    ("aten::div.out", binary::div),
    ("aten::exp.out", |cx, a| unary::lower(cx, a, UnaryFn::Exp)),
    ("aten::full.out", full::full),
    ("aten::full_like.out", full::full_like),
    ("aten::hardtanh.out", clamp::hardtanh),
    ("aten::max_pool2d_with_indices.out", max_pool::lower),
    ("aten::mean.out", mean::lower),
    ("aten::mm.out", addmm::mm),
    ("aten::mul.out", binary::mul),
    ("aten::neg.out", |cx, a| unary::lower(cx, a, UnaryFn::Neg)),
    ("aten::permute_copy.out", permute::lower),
    ("aten::relu.out", |cx, a| unary::lower(cx, a, UnaryFn::Relu)),
    ("aten::rsqrt.out", |cx, a| unary::lower(cx, a, UnaryFn::Rsqrt)),
    ("aten::select_copy.int_out", select::lower),
    ("aten::sigmoid.out", |cx, a| unary::lower(cx, a, UnaryFn::Sigmoid)),
    ("aten::slice_copy.Tensor_out", slice::lower),
    ("aten::split_with_sizes_copy.out", split::lower),
    ("aten::sqrt.out", |cx, a| unary::lower(cx, a, UnaryFn::Sqrt)),
    ("aten::squeeze_copy.dims_out", reshape::lower),
    ("aten::sub.out", binary::sub),
    ("aten::tanh.out", |cx, a| unary::lower(cx, a, UnaryFn::Tanh)),
    ("aten::unsqueeze_copy.out", reshape::lower),
    ("aten::view_copy.out", reshape::lower),
    ("dim_order_ops::_clone_dim_order.out", copy::clone),
    ("dim_order_ops::_to_dim_order_copy.out", copy::to_dim_order_copy),
];

fn find(name: &str) -> Option<Lower> {
    OPS.binary_search_by(|(n, _)| (*n).cmp(name)).ok().map(|i| OPS[i].1)
}

pub fn is_supported(name: &str) -> bool {
    find(name).is_some()
}

/// Lowers one kernel call; `None` when the op is unsupported.
pub fn lower(name: &str, cx: &mut Cx<'_, '_>, args: &[usize]) -> Option<Result<()>> {
    find(name).map(|f| f(cx, args))
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_is_sorted_for_binary_search() {
        assert!(super::OPS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
