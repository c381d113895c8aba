use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;
use crate::ir::ConvTranspose2d;

/// `x` is `[n, cin, h, w]`, `out` is `[n, cout, oh, ow]`, the kernel `kh × kw`.
pub fn emit(c: &ConvTranspose2d, x: &[usize], kernel: [usize; 2], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let v = [
        x[0], x[1], x[2], x[3], out[1], out[2], out[3], kernel[0], kernel[1], c.stride[0], c.stride[1], c.padding[0], c.padding[1],
        c.dilation[0], c.dilation[1], c.groups,
    ]
    .map(lit);
    let [batch, cin, ih, iw, cout, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw, groups] = v;
    let (xs, ws, o) = (&r[0], &r[1], &w[0]);
    let bias = match r.get(2) {
        Some(b) => quote!(Some(#b)),
        None => quote!(None),
    };
    quote! {
        ::etch_kernels::conv::transposed::conv_transpose2d(#xs, #ws, #bias, #o, &::etch_kernels::conv::transposed::ConvTranspose2d {
            batch: #batch, in_channels: #cin, in_h: #ih, in_w: #iw, out_channels: #cout, out_h: #oh, out_w: #ow,
            kernel_h: #kh, kernel_w: #kw, stride_h: #sh, stride_w: #sw, pad_h: #ph, pad_w: #pw,
            dilation_h: #dh, dilation_w: #dw, groups: #groups,
        });
    }
}
