//! Convolutions pick their kernel here, at codegen time: 1×1 as a matrix
//! product, 3×3 depthwise specialised, 3×3 stride 1 as Winograd (its own op,
//! from `passes::winograd`), anything else the general kernel.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{f32_lit, lit};
use crate::ir::{Conv2d, ConvKernel};

pub fn emit(c: &Conv2d, x: &[usize], wt: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (xs, ws, o) = (&r[0], &r[1], &w[0]);
    let (bias, clamp) = (bias(c, r), clamp(c));
    let epilogue = epilogue(c, r);
    let kernel = c.kernel(x, wt);
    if kernel == ConvKernel::Pointwise {
        let (batch, cin, cout, hw) = (lit(x[0]), lit(x[1]), lit(wt[0]), lit(x[2] * x[3]));
        return quote!(::etch_kernels::conv::im2col::pointwise(#xs, #ws, #o, #batch, #cin, #cout, #hw, #epilogue););
    }
    let params = params(c, x, wt, out);
    match (kernel, w.get(1)) {
        (ConvKernel::Depthwise3x3, _) => {
            return quote!(::etch_kernels::conv::depthwise::depthwise3x3(#xs, #ws, #o, #params, #epilogue););
        }
        (ConvKernel::Depthwise5x5, _) => {
            return quote!(::etch_kernels::conv::depthwise::depthwise5x5(#xs, #ws, #o, #params, #epilogue););
        }
        (ConvKernel::Conv3x3s2, _) => {
            return quote!(::etch_kernels::conv::conv3x3s2::conv3x3s2(#xs, #ws, #o, #params, #epilogue););
        }
        (ConvKernel::Im2col, Some(cols)) => {
            return quote!(::etch_kernels::conv::im2col::conv2d_im2col(#xs, #ws, #o, #cols, #params, #epilogue););
        }
        _ => {}
    }
    if c.clamp.is_some() {
        return quote!(::etch_kernels::conv::im2col::conv2d_act(#xs, #ws, #bias, #o, #params, #clamp););
    }
    quote!(::etch_kernels::conv::im2col::conv2d(#xs, #ws, #bias, #o, #params);)
}

/// An `Op::Winograd`: inputs `[x, u, bias?]` (`u` is `[16, cout, cin]`), outputs `[out, scratch]`.
pub fn winograd(c: &Conv2d, x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (xs, us, o) = (&r[0], &r[1], &w[0]);
    let Some(scratch) = w.get(1) else {
        return quote!(compile_error!("etch: a Winograd convolution without its scratch"););
    };
    let (epilogue, params) = (epilogue(c, r), params(c, x, &[out[1], x[1], 3, 3], out));
    quote!(::etch_kernels::conv::winograd::conv3x3_winograd(#xs, #us, #o, #scratch, #params, #epilogue);)
}

fn bias(c: &Conv2d, r: &[TokenStream]) -> TokenStream {
    match r.get(2) {
        Some(b) if c.has_bias => quote!(Some(#b)),
        _ => quote!(None),
    }
}

fn clamp(c: &Conv2d) -> TokenStream {
    match c.clamp {
        Some([lo, hi]) => {
            let (lo, hi) = (f32_lit(lo), f32_lit(hi));
            quote!(Some((#lo, #hi)))
        }
        None => quote!(None),
    }
}

fn epilogue(c: &Conv2d, r: &[TokenStream]) -> TokenStream {
    let (bias, clamp) = (bias(c, r), clamp(c));
    // Inputs are [x, w, bias?, residual?].
    let residual = match r.get(2 + usize::from(c.has_bias)) {
        Some(s) if c.residual => quote!(Some(#s)),
        _ => quote!(None),
    };
    quote!(::etch_kernels::matmul::gemm::Epilogue { bias: #bias, clamp: #clamp, residual: #residual })
}

/// `&etch_kernels::conv::im2col::Conv2d { .. }` for input `x`, weight `wt` and output `out` shapes.
pub fn params(c: &Conv2d, x: &[usize], wt: &[usize], out: &[usize]) -> TokenStream {
    let p = [
        x[0], x[1], x[2], x[3], wt[0], wt[2], wt[3], c.stride[0], c.stride[1], c.padding[0], c.padding[1],
        c.dilation[0], c.dilation[1], c.groups, out[2], out[3],
    ];
    let [batch, cin, ih, iw, cout, kh, kw, sh, sw, ph, pw, dh, dw, g, oh, ow] = p.map(lit);
    quote! {
        &::etch_kernels::conv::im2col::Conv2d {
            batch: #batch, in_channels: #cin, in_h: #ih, in_w: #iw,
            out_channels: #cout, kernel_h: #kh, kernel_w: #kw,
            stride_h: #sh, stride_w: #sw, pad_h: #ph, pad_w: #pw,
            dilation_h: #dh, dilation_w: #dw, groups: #g, out_h: #oh, out_w: #ow,
        }
    }
}
