use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;
use crate::ir::Pool2d;

pub fn emit(p: &Pool2d, count_include_pad: bool, divisor: Option<i64>, x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let v = [x[0], x[1], x[2], x[3], p.kernel[0], p.kernel[1], p.stride[0], p.stride[1], p.padding[0], p.padding[1], out[2], out[3]].map(lit);
    let [batch, ch, ih, iw, kh, kw, sh, sw, ph, pw, oh, ow] = v;
    let divisor = match divisor {
        Some(d) => quote!(Some(#d)),
        None => quote!(None),
    };
    let (xs, o) = (&r[0], &w[0]);
    quote! {
        ::etch_kernels::pool::avg_pool2d_with_divisor(#xs, #o, &::etch_kernels::pool::Pool2d {
            batch: #batch, channels: #ch, in_h: #ih, in_w: #iw,
            kernel_h: #kh, kernel_w: #kw, stride_h: #sh, stride_w: #sw,
            pad_h: #ph, pad_w: #pw, dilation_h: 1, dilation_w: 1, out_h: #oh, out_w: #ow,
        }, #count_include_pad, #divisor);
    }
}
