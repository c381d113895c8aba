//! Int8 ops (`passes/quant.rs`): requantization parameters as literals.

use proc_macro2::TokenStream;
use quote::quote;

use super::quantize::i32_lit;
use crate::emit::{f32_lit, lit};
use crate::ir::{Method, Node, PatchStage, PatchStream, QOp, QOut};
use crate::passes::patch::{regions, Region};

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
        QOp::Patched { stages, grid, stream } => patched(m, node, stages, *grid, *stream, r, w),
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

/// The chain's stages as a table, run patch by patch (`passes/patch.rs`).
/// A streamed chain reads rows: quantized from the f32 input, or from the
/// `rows` argument of the int8 entry point (then `r` has no `x`).
fn patched(
    m: &Method,
    node: &Node,
    stages: &[PatchStage],
    grid: [usize; 2],
    stream: Option<PatchStream>,
    r: &[TokenStream],
    w: &[TokenStream],
) -> TokenStream {
    let rows = stream.is_some_and(|s| s.rows);
    let shape = match stream {
        Some(s) => s.shape.to_vec(),
        None => m.values[node.inputs[0]].ty.shape.clone(),
    };
    let Some((input, outs)) = regions(&shape, stages, grid) else {
        return quote!();
    };
    let (x, r) = if rows { (quote!(), r) } else { (r[0].clone(), &r[1..]) };
    let mut prev = input;
    let table = stages.iter().zip(&outs).enumerate().map(|(s, (st, out))| {
        let c = &st.conv;
        let p = [
            prev.channels,
            prev.len[0],
            prev.len[1],
            out.channels,
            st.kernel[0],
            st.kernel[1],
            c.stride[0],
            c.stride[1],
            c.dilation[0],
            c.dilation[1],
            c.groups,
            out.len[0],
            out.len[1],
        ];
        let [cin, ih, iw, cout, kh, kw, sh, sw, dh, dw, g, oh, ow] = p.map(lit);
        let (wt, scale, bias) = (&r[3 * s], &r[1 + 3 * s], &r[2 + 3 * s]);
        let (zp, q, region) = (i32_lit(st.x_zp), quant(&st.out), region(out));
        prev = *out;
        quote! {
            ::etch_kernels::quant::patched::Stage {
                w: #wt, x_zp: #zp,
                conv: ::etch_kernels::conv::im2col::Conv2d {
                    batch: 1, in_channels: #cin, in_h: #ih, in_w: #iw,
                    out_channels: #cout, kernel_h: #kh, kernel_w: #kw,
                    stride_h: #sh, stride_w: #sw, pad_h: 0, pad_w: 0,
                    dilation_h: #dh, dilation_w: #dw, groups: #g, out_h: #oh, out_w: #ow,
                },
                rq: ::etch_kernels::quant::conv::Requant { scale: #scale, bias: #bias, out: #q },
                out: #region,
            }
        }
    });
    let (o, scratch, region, [gh, gw]) = (&w[0], &w[1], region(&input), grid.map(lit));
    let table = quote!(&[#(#table),*]);
    match stream {
        None => quote!(::etch_kernels::quant::patched::run(#x, #region, #o, #scratch, [#gh, #gw], #table);),
        Some(_) if rows => quote! {
            let rows = |y: usize, row: &mut [i8]| {
                if let Ok(row) = row.try_into() {
                    rows(y, row);
                }
            };
            ::etch_kernels::quant::patched::run_rows(rows, #region, #o, #scratch, [#gh, #gw], #table);
        },
        Some(s) => {
            let (inv, zp) = (f32_lit(f64::from(1.0f32 / s.scale as f32)), i32_lit(s.zero_point));
            quote! {
                let rows = ::etch_kernels::quant::patched::quantized_rows(#x, #region, #inv, #zp);
                ::etch_kernels::quant::patched::run_rows(rows, #region, #o, #scratch, [#gh, #gw], #table);
            }
        }
    }
}

fn region(r: &Region) -> TokenStream {
    let [c, h, w, sh, sw, lh, lw] = [
        r.channels, r.image[0], r.image[1], r.step[0], r.step[1], r.len[0], r.len[1],
    ]
    .map(lit);
    let [oh, ow] = r.origin.map(|o| {
        let v = proc_macro2::Literal::i64_unsuffixed(o);
        quote!(#v)
    });
    quote! {
        ::etch_kernels::quant::patched::Region {
            channels: #c, image: [#h, #w], origin: [#oh, #ow], step: [#sh, #sw], len: [#lh, #lw],
        }
    }
}
