use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{f32_lit, lit};

pub fn bilinear(align_corners: bool, ratio: [f64; 2], x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let planes = lit(x[0] * x[1]);
    let axis = |d: usize| {
        let (i, o, ratio) = (lit(x[2 + d]), lit(out[2 + d]), f32_lit(ratio[d]));
        quote!(::etch_kernels::pool::resize::Axis { in_len: #i, out_len: #o, ratio: #ratio, align_corners: #align_corners })
    };
    let (h, wd) = (axis(0), axis(1));
    let (xs, o) = (&r[0], &w[0]);
    quote!(::etch_kernels::pool::resize::bilinear(#xs, #o, #planes, &#h, &#wd);)
}

pub fn nearest(ratio: [f64; 2], x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (planes, ih, iw, oh, ow) = (lit(x[0] * x[1]), lit(x[2]), lit(x[3]), lit(out[2]), lit(out[3]));
    let (rh, rw) = (f32_lit(ratio[0]), f32_lit(ratio[1]));
    let (xs, o) = (&r[0], &w[0]);
    quote!(::etch_kernels::pool::resize::nearest(#xs, #o, #planes, #ih, #iw, #oh, #ow, #rh, #rw);)
}

pub fn grid(nearest: bool, padding: u8, align_corners: bool, x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (xs, g, o) = (&r[0], &r[1], &w[0]);
    let dims = x.iter().map(|&d| lit(d));
    let (oh, ow) = (lit(out[2]), lit(out[3]));
    let pad = match padding {
        0 => quote!(Zeros),
        1 => quote!(Border),
        _ => quote!(Reflection),
    };
    quote!(::etch_kernels::pool::grid_sample::grid_sample(#xs, #g, #o, [#(#dims),*], [#oh, #ow], #nearest, ::etch_kernels::pool::grid_sample::Padding::#pad, #align_corners);)
}

pub fn bilinear_aa(scale: [f64; 2], x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (planes, ih, iw, oh, ow) = (lit(x[0] * x[1]), lit(x[2]), lit(x[3]), lit(out[2]), lit(out[3]));
    let (sh, sw) = (f32_lit(scale[0]), f32_lit(scale[1]));
    let (xs, o) = (&r[0], &w[0]);
    quote!(::etch_kernels::pool::resize::bilinear_aa(#xs, #o, #planes, #ih, #iw, #oh, #ow, [#sh, #sw]);)
}
