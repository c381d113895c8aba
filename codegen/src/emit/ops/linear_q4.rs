//! Blockwise 4-bit linear layers on int8 activations (`etch_kernels::quant::int4`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;
use crate::ir::{Method, Node};

/// Inputs `[x, w, scales, corr, bias?]`, outputs `[out, xu]`.
pub fn emit(m: &Method, node: &Node, group: usize, has_bias: bool, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (xs, os) = (&m.values[node.inputs[0]].ty.shape, &m.values[node.outputs[0]].ty.shape);
    let (mm, n, k, group) = (lit(xs[0]), lit(os[1]), lit(xs[1]), lit(group));
    let (x, wt, scales, corr, out, xu) = (&r[0], &r[1], &r[2], &r[3], &w[0], &w[1]);
    let bias = if has_bias {
        let b = &r[4];
        quote!(Some(#b))
    } else {
        quote!(None)
    };
    quote! {
        ::etch_kernels::quant::int4::linear_q4(#x, #wt, #scales, #corr, #bias, #out, #xu,
            ::etch_kernels::quant::int4::Q4 { m: #mm, n: #n, k: #k, group: #group });
    }
}
