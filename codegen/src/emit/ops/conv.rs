use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;
use crate::ir::Conv2d;

pub fn emit(c: &Conv2d, x: &[usize], wt: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let p = [
        x[0], x[1], x[2], x[3], wt[0], wt[2], wt[3], c.stride[0], c.stride[1], c.padding[0], c.padding[1],
        c.dilation[0], c.dilation[1], c.groups, out[2], out[3],
    ]
    .map(lit);
    let [batch, cin, ih, iw, cout, kh, kw, sh, sw, ph, pw, dh, dw, g, oh, ow] = p;
    let bias = if c.has_bias {
        let b = &r[2];
        quote!(Some(#b))
    } else {
        quote!(None)
    };
    let (xs, ws, o) = (&r[0], &r[1], &w[0]);
    quote! {
        ::etch_kernels::conv::conv2d(#xs, #ws, #bias, #o, &::etch_kernels::conv::Conv2d {
            batch: #batch, in_channels: #cin, in_h: #ih, in_w: #iw,
            out_channels: #cout, kernel_h: #kh, kernel_w: #kw,
            stride_h: #sh, stride_w: #sw, pad_h: #ph, pad_w: #pw,
            dilation_h: #dh, dilation_w: #dw, groups: #g, out_h: #oh, out_w: #ow,
        });
    }
}
