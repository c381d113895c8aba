use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;
use crate::ir::Pool2d;

pub fn emit(p: &Pool2d, x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let params = params(p, x, out);
    let indices = match w.get(1) {
        Some(i) => quote!(Some(#i)),
        None => quote!(None),
    };
    let (xs, o) = (&r[0], &w[0]);
    quote!(::etch_kernels::pool::window::max_pool2d(#xs, #o, #indices, &#params);)
}

pub fn argmax(p: &Pool2d, x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let params = params(p, x, out);
    let (xs, o, i) = (&r[0], &w[0], &w[1]);
    quote!(::etch_kernels::pool::window::argmax_pool2d(#xs, #o, #i, &#params);)
}

/// The kernels' `Pool2d` for an NCHW input `x` pooled to `out`.
pub fn params(p: &Pool2d, x: &[usize], out: &[usize]) -> TokenStream {
    let v = [
        x[0], x[1], x[2], x[3], p.kernel[0], p.kernel[1], p.stride[0], p.stride[1], p.padding[0], p.padding[1],
        p.dilation[0], p.dilation[1], out[2], out[3],
    ]
    .map(lit);
    let [batch, ch, ih, iw, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow] = v;
    quote! {
        ::etch_kernels::pool::window::Pool2d {
            batch: #batch, channels: #ch, in_h: #ih, in_w: #iw,
            kernel_h: #kh, kernel_w: #kw, stride_h: #sh, stride_w: #sw,
            pad_h: #ph, pad_w: #pw, dilation_h: #dh, dilation_w: #dw, out_h: #oh, out_w: #ow,
        }
    }
}
