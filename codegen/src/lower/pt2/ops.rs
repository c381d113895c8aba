//! The registry: each ATen target → the `.out` call etch lowers, with its
//! arguments in that schema's order, or a handler in `nn` for the high-level ops.
//!
//! A spec lists the `.out` op's arguments before its outputs, each as
//! `name:kind` or `name:kind=default`, where `name` is the ATen schema's
//! argument name (`-` for one the `.out` form has and the ATen op lacks).
//! Kinds: `T` tensor, `T?` optional tensor, `I` int, `L` int list, `L?`
//! optional int list, `F` float, `S` scalar, `S?` optional scalar, `B` bool,
//! `Str` string, `TL` tensor list, `OTL` optional tensor list, `N` null
//! whatever the node says (dtype and memory-format arguments that the `.out`
//! form takes from its output), `X` an ATen argument the `.out` form lacks.

use super::build::Builder;
use super::nn;
use crate::error::Result;
use crate::pt2::{Arg, Node};

pub type Handler = fn(&mut Builder<'_>, &Node) -> Result<()>;

pub enum Rule {
    Spec(&'static str, &'static str),
    Custom(Handler),
}

use Rule::{Custom, Spec};

/// Sorted by target for binary search.
const OPS: &[(&str, Rule)] = &[
    ("aten::_adaptive_avg_pool2d.default", Spec("aten::_adaptive_avg_pool2d.out", "self:T output_size:L")),
    ("aten::_log_softmax.default", Spec("aten::_log_softmax.out", "self:T dim:I half_to_float:B")),
    ("aten::_native_batch_norm_legit_no_training.default", Custom(nn::batch_norm_core)),
    ("aten::_softmax.default", Spec("aten::_softmax.out", "self:T dim:I half_to_float:B")),
    ("aten::_to_copy.default", Custom(nn::to_copy)),
    ("aten::_unsafe_view.default", Custom(nn::view)),
    ("aten::abs.default", Spec("aten::abs.out", "self:T")),
    ("aten::adaptive_avg_pool2d.default", Spec("aten::_adaptive_avg_pool2d.out", "self:T output_size:L")),
    ("aten::add.Tensor", Custom(|b, n| nn::binary(b, n, "add", true))),
    ("aten::addmm.default", Spec("aten::addmm.out", "self:T mat1:T mat2:T beta:S=1 alpha:S=1")),
    ("aten::alias.default", Custom(nn::alias)),
    ("aten::amax.default", Spec("aten::amax.out", "self:T dim:L= keepdim:B=false")),
    ("aten::any.dim", Spec("aten::any.out", "self:T dim:I keepdim:B=false")),
    ("aten::arange.default", Spec("aten::arange.out", "end:S dtype:X layout:X device:X pin_memory:X")),
    ("aten::arange.start", Spec("aten::arange.start_out", "start:S end:S -:S=1 dtype:X layout:X device:X pin_memory:X")),
    ("aten::arange.start_step", Spec("aten::arange.start_out", "start:S end:S step:S=1 dtype:X layout:X device:X pin_memory:X")),
    ("aten::avg_pool2d.default", Spec("aten::avg_pool2d.out", "self:T kernel_size:L stride:L= padding:L=0 ceil_mode:B=false count_include_pad:B=true divisor_override:I?")),
    ("aten::batch_norm.default", Custom(nn::batch_norm)),
    ("aten::bitwise_not.default", Spec("aten::bitwise_not.out", "self:T")),
    ("aten::bmm.default", Spec("aten::bmm.out", "self:T mat2:T")),
    ("aten::cat.default", Spec("aten::cat.out", "tensors:TL dim:I=0")),
    ("aten::chunk.default", Custom(nn::chunk)),
    ("aten::clamp.default", Spec("aten::clamp.out", "self:T min:S? max:S?")),
    ("aten::clone.default", Custom(nn::alias)),
    ("aten::contiguous.default", Custom(nn::alias)),
    ("aten::conv1d.default", Spec("aten::convolution.out", "input:T weight:T bias:T? stride:L=1 padding:L=0 dilation:L=1 -:B=false -:L=0 groups:I=1")),
    ("aten::conv2d.default", Spec("aten::convolution.out", "input:T weight:T bias:T? stride:L=1,1 padding:L=0,0 dilation:L=1,1 -:B=false -:L=0,0 groups:I=1")),
    ("aten::conv_transpose2d.input", Custom(nn::conv_transpose2d)),
    ("aten::convolution.default", Spec("aten::convolution.out", "input:T weight:T bias:T? stride:L padding:L dilation:L transposed:B output_padding:L groups:I")),
    ("aten::cos.default", Spec("aten::cos.out", "self:T")),
    ("aten::detach.default", Custom(nn::alias)),
    ("aten::div.Tensor", Custom(|b, n| nn::binary(b, n, "div", false))),
    ("aten::div.Tensor_mode", Spec("aten::div.out_mode", "self:T other:T rounding_mode:Str?")),
    ("aten::dropout.default", Custom(nn::dropout)),
    ("aten::embedding.default", Spec("aten::embedding.out", "weight:T indices:T padding_idx:I=-1 scale_grad_by_freq:B=false sparse:B=false")),
    ("aten::eq.Scalar", Spec("aten::eq.Scalar_out", "self:T other:S")),
    ("aten::eq.Tensor", Spec("aten::eq.Tensor_out", "self:T other:T")),
    ("aten::exp.default", Spec("aten::exp.out", "self:T")),
    ("aten::expand.default", Spec("aten::expand_copy.out", "self:T size:L implicit:B=false")),
    ("aten::flatten.using_ints", Custom(nn::view)),
    ("aten::full.default", Spec("aten::full.out", "size:L fill_value:S dtype:X layout:X device:X pin_memory:X")),
    ("aten::full_like.default", Spec("aten::full_like.out", "self:T fill_value:S dtype:X layout:X device:X pin_memory:X memory_format:N")),
    ("aten::ge.Scalar", Spec("aten::ge.Scalar_out", "self:T other:S")),
    ("aten::gelu.default", Spec("aten::gelu.out", "self:T approximate:Str=none")),
    ("aten::gt.Scalar", Spec("aten::gt.Scalar_out", "self:T other:S")),
    ("aten::hardsigmoid.default", Custom(nn::hardsigmoid)),
    ("aten::hardswish.default", Custom(nn::hardswish)),
    ("aten::hardtanh.default", Spec("aten::hardtanh.out", "self:T min_val:S=-1 max_val:S=1")),
    ("aten::index.Tensor", Spec("aten::index.Tensor_out", "self:T indices:OTL")),
    ("aten::index_copy.default", Custom(nn::index_copy)),
    ("aten::index_put.default", Spec("aten::index_put.out", "self:T indices:OTL values:T accumulate:B=false")),
    ("aten::index_select.default", Spec("aten::index_select.out", "self:T dim:I index:T")),
    ("aten::layer_norm.default", Custom(nn::layer_norm)),
    ("aten::le.Scalar", Spec("aten::le.Scalar_out", "self:T other:S")),
    ("aten::le.Tensor", Spec("aten::le.Tensor_out", "self:T other:T")),
    ("aten::leaky_relu.default", Spec("aten::leaky_relu.out", "self:T negative_slope:S=0.01")),
    ("aten::lift_fresh_copy.default", Custom(nn::alias)),
    ("aten::linear.default", Custom(nn::linear)),
    ("aten::log.default", Spec("aten::log.out", "self:T")),
    ("aten::log_softmax.int", Spec("aten::_log_softmax.out", "self:T dim:I dtype:X -:B=false")),
    ("aten::logical_and.default", Spec("aten::logical_and.out", "self:T other:T")),
    ("aten::logical_not.default", Spec("aten::logical_not.out", "self:T")),
    ("aten::lstm.input", Custom(nn::lstm)),
    ("aten::lt.Scalar", Spec("aten::lt.Scalar_out", "self:T other:S")),
    ("aten::masked_fill.Scalar", Spec("aten::masked_fill.Scalar_out", "self:T mask:T value:S")),
    ("aten::matmul.default", Custom(nn::matmul)),
    ("aten::max_pool2d.default", Custom(nn::max_pool2d)),
    ("aten::max_pool2d_with_indices.default", Spec("aten::max_pool2d_with_indices.out", "self:T kernel_size:L stride:L= padding:L=0 dilation:L=1 ceil_mode:B=false")),
    ("aten::maximum.default", Spec("aten::maximum.out", "self:T other:T")),
    ("aten::mean.dim", Spec("aten::mean.out", "self:T dim:L? keepdim:B=false dtype:N")),
    ("aten::minimum.default", Spec("aten::minimum.out", "self:T other:T")),
    ("aten::mm.default", Spec("aten::mm.out", "self:T mat2:T")),
    ("aten::mul.Scalar", Spec("aten::mul.Scalar_out", "self:T other:S")),
    ("aten::mul.Tensor", Custom(|b, n| nn::binary(b, n, "mul", false))),
    ("aten::native_layer_norm.default", Custom(nn::layer_norm_core)),
    ("aten::ne.Scalar", Spec("aten::ne.Scalar_out", "self:T other:S")),
    ("aten::neg.default", Spec("aten::neg.out", "self:T")),
    ("aten::permute.default", Spec("aten::permute_copy.out", "self:T dims:L")),
    ("aten::pow.Tensor_Scalar", Spec("aten::pow.Tensor_Scalar_out", "self:T exponent:S")),
    ("aten::relu.default", Spec("aten::relu.out", "self:T")),
    ("aten::reshape.default", Custom(nn::view)),
    ("aten::rsqrt.default", Spec("aten::rsqrt.out", "self:T")),
    ("aten::rsub.Scalar", Spec("aten::rsub.Scalar_out", "self:T other:S alpha:S=1")),
    ("aten::scalar_tensor.default", Spec("aten::scalar_tensor.out", "s:S dtype:X layout:X device:X pin_memory:X")),
    ("aten::scaled_dot_product_attention.default", Custom(nn::sdpa)),
    ("aten::select.int", Spec("aten::select_copy.int_out", "self:T dim:I index:I")),
    ("aten::sigmoid.default", Spec("aten::sigmoid.out", "self:T")),
    ("aten::silu.default", Custom(nn::silu)),
    ("aten::sin.default", Spec("aten::sin.out", "self:T")),
    ("aten::slice.Tensor", Spec("aten::slice_copy.Tensor_out", "self:T dim:I=0 start:I? end:I? step:I=1")),
    ("aten::softmax.int", Spec("aten::_softmax.out", "self:T dim:I dtype:X -:B=false")),
    ("aten::split.Tensor", Custom(nn::split)),
    ("aten::split_with_sizes.default", Custom(nn::split)),
    ("aten::sqrt.default", Spec("aten::sqrt.out", "self:T")),
    ("aten::squeeze.dim", Spec("aten::squeeze_copy.dim_out", "self:T dim:I")),
    ("aten::squeeze.dims", Spec("aten::squeeze_copy.dims_out", "self:T dim:L")),
    ("aten::stack.default", Spec("aten::stack.out", "tensors:TL dim:I=0")),
    ("aten::sub.Tensor", Custom(|b, n| nn::binary(b, n, "sub", true))),
    ("aten::sum.default", Spec("aten::sum.IntList_out", "self:T -:L? -:B=false dtype:N")),
    ("aten::sum.dim_IntList", Spec("aten::sum.IntList_out", "self:T dim:L? keepdim:B=false dtype:N")),
    ("aten::sym_size.int", Custom(nn::sym_size)),
    ("aten::t.default", Spec("aten::t_copy.out", "self:T")),
    ("aten::tanh.default", Spec("aten::tanh.out", "self:T")),
    ("aten::transpose.int", Spec("aten::transpose_copy.int_out", "self:T dim0:I dim1:I")),
    ("aten::unsqueeze.default", Spec("aten::unsqueeze_copy.out", "self:T dim:I")),
    ("aten::view.default", Custom(nn::view)),
    ("aten::where.self", Spec("aten::where.self_out", "condition:T self:T other:T")),
    ("aten::zeros.default", Spec("aten::zeros.out", "size:L dtype:X layout:X device:X pin_memory:X")),
];

fn find(target: &str) -> Option<&'static Rule> {
    OPS.binary_search_by(|(n, _)| (*n).cmp(target)).ok().map(|i| &OPS[i].1)
}

/// `aten::add_.Tensor` → `aten::add.Tensor`: the functional form of an in-place op.
pub fn in_place(target: &str) -> Option<String> {
    let (ns_name, overload) = target.split_once('.')?;
    let base = ns_name.strip_suffix('_')?;
    if base.ends_with("::") || base.ends_with('_') {
        return None;
    }
    Some(format!("{base}.{overload}"))
}

/// Whether etch translates the target (its in-place form too).
pub fn is_supported(target: &str) -> bool {
    find(target).is_some() || in_place(target).is_some_and(|f| find(&f).is_some())
}

/// Ops whose result shares its input's memory in PyTorch: an in-place op on
/// such a result would write through to the base, which etch does not follow.
const VIEWS: &[&str] = &["view", "reshape", "_unsafe_view", "flatten", "alias", "transpose", "permute", "slice", "select", "unsqueeze", "squeeze", "expand", "t", "detach", "chunk", "split"];

fn op_name(target: &str) -> &str {
    let t = target.split_once("::").map_or(target, |(_, r)| r);
    t.split_once('.').map_or(t, |(n, _)| n)
}

/// Translates one node; `None` when the op is not supported.
pub fn translate(b: &mut Builder<'_>, node: &Node) -> Option<Result<()>> {
    if let Some(rule) = find(&node.target) {
        let r = run(b, node, rule);
        if r.is_ok() && VIEWS.contains(&op_name(&node.target)) {
            if let Some((Some(out), Some(Arg::Tensor(base)))) = node.outputs.first().map(|o| (o.clone(), node.inputs.first().map(|(_, a)| a))) {
                b.view_of.insert(out, base.clone());
            }
        }
        return Some(r);
    }
    let functional = in_place(&node.target)?;
    let rule = find(&functional)?;
    Some(in_place_call(b, node, rule))
}

fn run(b: &mut Builder<'_>, node: &Node, rule: &Rule) -> Result<()> {
    match rule {
        Spec(op, spec) => spec_call(b, node, op, spec),
        Custom(f) => f(b, node),
    }
}

/// An in-place op: the functional op, then `self` names its result.
fn in_place_call(b: &mut Builder<'_>, node: &Node, rule: &Rule) -> Result<()> {
    let Some((_, Arg::Tensor(target))) = node.inputs.first() else {
        return Err(b.invalid("an in-place op without a tensor `self`"));
    };
    if let Some(base) = b.view_of.get(target) {
        return Err(b.invalid(format!("writes in place into `{target}`, a view of `{base}`; etch needs the functional form (export with `ep.run_decompositions()`)")));
    }
    if b.ep.inputs.iter().any(|i| matches!(i, crate::pt2::Input::User(u) if u == target)) {
        return Err(b.invalid(format!("writes in place into the input `{target}`, which etch does not support")));
    }
    run(b, node, rule)?;
    let Some(Some(out)) = node.outputs.first() else {
        return Err(b.invalid("an in-place op without an output"));
    };
    let id = b.tensor(out)?;
    b.alias(target, id);
    Ok(())
}

/// Builds the arguments a spec lists from the node's named arguments.
pub fn spec_args(b: &mut Builder<'_>, node: &Node, spec: &str) -> Result<Vec<usize>> {
    let mut args = Vec::new();
    for item in spec.split_whitespace() {
        let (name, kind) = item.split_once(':').unwrap_or((item, "T"));
        let (kind, default) = match kind.split_once('=') {
            Some((k, d)) => (k, Some(d)),
            None => (kind, None),
        };
        if kind == "X" {
            continue;
        }
        if kind == "N" {
            args.push(b.null());
            continue;
        }
        let given = if name == "-" { None } else { node.arg(name) };
        let v = match given {
            Some(a) => value(b, a, kind).map_err(|m| b.invalid(format!("argument `{name}`: {m}")))?,
            None => match default {
                Some(d) => literal(b, kind, d).map_err(|m| b.invalid(format!("argument `{name}`: {m}")))?,
                None if kind.ends_with('?') => b.null(),
                None => return Err(b.invalid(format!("argument `{name}` is missing"))),
            },
        };
        args.push(v);
    }
    Ok(args)
}

fn spec_call(b: &mut Builder<'_>, node: &Node, op: &str, spec: &str) -> Result<()> {
    let args = spec_args(b, node, spec)?;
    let outs = outputs(b, node)?;
    b.call(op, args, &outs);
    Ok(())
}

/// The node's outputs as new planned tensors.
pub fn outputs(b: &mut Builder<'_>, node: &Node) -> Result<Vec<usize>> {
    let mut outs = Vec::new();
    for o in &node.outputs {
        match o {
            Some(name) => outs.push(b.output(name)?),
            None => return Err(b.invalid("an output without a name (etch needs every output typed)")),
        }
    }
    Ok(outs)
}

fn literal(b: &mut Builder<'_>, kind: &str, d: &str) -> Result<usize, String> {
    let bad = || format!("bad default {d:?} for kind {kind}");
    Ok(match kind.trim_end_matches('?') {
        "I" => b.int(d.parse().map_err(|_| bad())?),
        "L" => {
            let v = if d.is_empty() { Vec::new() } else { d.split(',').map(|x| x.parse().map_err(|_| bad())).collect::<Result<Vec<i64>, _>>()? };
            b.ints(&v)
        }
        "F" => b.double(d.parse().map_err(|_| bad())?),
        "S" if d.contains('.') => b.double(d.parse().map_err(|_| bad())?),
        "S" => b.int(d.parse().map_err(|_| bad())?),
        "B" => b.bool(d == "true"),
        "Str" => b.string(d),
        _ => return Err(bad()),
    })
}

/// One argument as the value the `.out` op expects.
pub fn value(b: &mut Builder<'_>, a: &Arg, kind: &str) -> Result<usize, String> {
    let opt = kind.ends_with('?');
    let kind = kind.trim_end_matches('?');
    if opt && matches!(a, Arg::None) {
        return Ok(b.null());
    }
    let wrong = || format!("expected {kind}, found {a:?}");
    Ok(match (kind, a) {
        ("T", Arg::Tensor(n)) => b.tensor(n).map_err(|e| e.to_string())?,
        ("I", Arg::Int(v)) => b.int(*v),
        ("I", Arg::SymInt(s)) => {
            let v = b.sym(s).map_err(|e| e.to_string())?;
            b.int(v)
        }
        ("L", Arg::Ints(v)) => b.ints(v),
        ("L", Arg::Int(v)) => b.ints(&[*v]),
        ("L", Arg::SymInts(v)) => {
            let v = v.iter().map(|s| b.sym(s)).collect::<Result<Vec<_>>>().map_err(|e| e.to_string())?;
            b.ints(&v)
        }
        ("F", Arg::Float(v)) => b.double(*v),
        ("F", Arg::Int(v)) => b.double(*v as f64),
        ("S", Arg::Int(v)) => b.int(*v),
        ("S", Arg::Float(v)) => b.double(*v),
        ("S", Arg::Bool(v)) => b.bool(*v),
        ("S", Arg::SymInt(s)) => {
            let v = b.sym(s).map_err(|e| e.to_string())?;
            b.int(v)
        }
        ("B", Arg::Bool(v)) => b.bool(*v),
        ("Str", Arg::Str(s)) => b.string(s),
        ("T", Arg::Int(_) | Arg::Float(_)) => return Err(format!("{a:?} where etch expects a tensor")),
        ("TL", Arg::Tensors(ts)) => {
            let ids = ts.iter().map(|t| b.tensor(t)).collect::<Result<Vec<_>>>().map_err(|e| e.to_string())?;
            b.tensor_list(ids)
        }
        ("OTL", Arg::OptTensors(ts)) => {
            let ids = ts.iter().map(|t| t.as_deref().map(|t| b.tensor(t)).transpose()).collect::<Result<Vec<_>>>().map_err(|e| e.to_string())?;
            b.opt_tensor_list(ids)
        }
        ("OTL", Arg::Tensors(ts)) => {
            let ids = ts.iter().map(|t| b.tensor(t).map(Some)).collect::<Result<Vec<_>>>().map_err(|e| e.to_string())?;
            b.opt_tensor_list(ids)
        }
        _ => return Err(wrong()),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_is_sorted_for_binary_search() {
        assert!(super::OPS.windows(2).all(|w| w[0].0 < w[1].0), "{:?}", super::OPS.windows(2).find(|w| w[0].0 >= w[1].0).map(|w| (w[0].0, w[1].0)));
    }

    #[test]
    fn in_place_forms() {
        assert_eq!(super::in_place("aten::add_.Tensor").as_deref(), Some("aten::add.Tensor"));
        assert_eq!(super::in_place("aten::index_copy_.default").as_deref(), Some("aten::index_copy.default"));
        assert_eq!(super::in_place("aten::relu.default"), None);
    }
}
