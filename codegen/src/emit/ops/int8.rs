//! Int8 ops (`passes/quant.rs`): requantization parameters as literals.

use proc_macro2::TokenStream;
use quote::quote;

use super::quantize::i32_lit;
use crate::emit::{f32_lit, lit};
use crate::ir::{Method, Node, QOp, QOut};

pub fn emit(m: &Method, node: &Node, op: &QOp, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let shape = |v: usize| m.values[v].ty.shape.clone();
    let o = &w[0];
    match op {
        QOp::Conv2d { conv, x_zp, out } => {
            let p = super::conv::params(conv, &shape(node.inputs[0]), &shape(node.inputs[1]), &shape(node.outputs[0]));
            let (x, wt, rq, zp) = (&r[0], &r[1], requant(r, out), i32_lit(*x_zp));
            quote!(::etch_kernels::quant::conv::qconv2d(#x, #zp, #wt, #o, #p, #rq);)
        }
        QOp::Linear { a_zp, out } => {
            let (k, n) = (m.values[node.inputs[1]].ty.shape[1], m.values[node.inputs[1]].ty.shape[0]);
            let (mm, k, n) = (lit(m.values[node.inputs[0]].ty.numel() / k.max(1)), lit(k), lit(n));
            let (a, wt, rq, zp) = (&r[0], &r[1], requant(r, out), i32_lit(*a_zp));
            quote!(::etch_kernels::quant::conv::qlinear(#a, #zp, #wt, #o, #mm, #k, #n, #rq);)
        }
        QOp::Add { a, b, out } => {
            let (x, y, qa, qb, qo) = (&r[0], &r[1], affine(*a), affine(*b), quant(out));
            quote!(::etch_kernels::quant::affine::add(#x, #y, #o, #qa, #qb, #qo);)
        }
        QOp::Mean { dims, x, out } => {
            let s = shape(node.inputs[0]);
            let (first, last) = (dims.first().copied().unwrap_or(0), dims.last().copied().unwrap_or(0));
            let outer = lit(s[..first].iter().product());
            let reduce = lit(s[first..=last].iter().product());
            let inner = lit(s[last + 1..].iter().product());
            let (xs, qx, qo) = (&r[0], affine(*x), quant(out));
            quote!(::etch_kernels::quant::affine::mean_axis(#xs, #o, #qx, #outer, #reduce, #inner, #qo);)
        }
        QOp::AvgPool2d { pool, count_include_pad, divisor, x, out } => {
            let params = super::max_pool::params(pool, &shape(node.inputs[0]), &shape(node.outputs[0]));
            let divisor = match divisor {
                Some(d) => quote!(Some(#d)),
                None => quote!(None),
            };
            let (xs, qx, qo) = (&r[0], affine(*x), quant(out));
            quote!(::etch_kernels::quant::pool::avg_pool2d(#xs, #o, &#params, #count_include_pad, #divisor, #qx, #qo);)
        }
    }
}

/// `r[2]` and `r[3]` are the per-channel scale and bias weights.
fn requant(r: &[TokenStream], out: &QOut) -> TokenStream {
    let (scale, bias, out) = (&r[2], &r[3], quant(out));
    quote!(::etch_kernels::quant::conv::Requant { scale: #scale, bias: #bias, out: #out })
}

/// The inverse scale as the quantize op computes it: `1.0f32 / scale as f32`.
fn quant(q: &QOut) -> TokenStream {
    let inv = f32_lit(f64::from(1.0f32 / q.scale as f32));
    let (zp, min, max) = (i32_lit(q.zero_point), i32_lit(q.min), i32_lit(q.max));
    quote!(::etch_kernels::quant::affine::Out { inv_scale: #inv, zero_point: #zp, min: #min, max: #max })
}

fn affine((scale, zero_point): (f64, i64)) -> TokenStream {
    let (s, z) = (f32_lit(scale), i32_lit(zero_point));
    quote!(::etch_kernels::quant::affine::Affine { scale: #s, zero_point: #z })
}
