use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cast::convert;
use crate::emit::dims;
use crate::ir::{DType, Method, Node};

/// `cond ? a : b` with all three broadcast to the output.
pub fn emit(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let dtype = |v: usize| m.values[v].ty.dtype;
    let [c, a, b] = [0, 1, 2].map(|i| node.inputs[i]);
    let o = node.outputs[0];
    let test = convert(quote!(c), dtype(c), DType::Bool);
    let (va, vb) = (convert(quote!(a), dtype(a), dtype(o)), convert(quote!(b), dtype(b), dtype(o)));
    let [tc, ta, tb] = [c, a, b].map(|v| format_ident!("{}", dtype(v).rust()));
    let [sc, sa, sb] = [c, a, b].map(|v| dims::broadcast_strides(m, v, o));
    let so = dims::shape(m, o);
    let (rc, ra, rb, out) = (&r[0], &r[1], &r[2], &w[0]);
    quote! {
        ::etch_kernels::elementwise::select::where_broadcast(#rc, &#sc, #ra, &#sa, #rb, &#sb, #out, &#so,
            |c: #tc, a: #ta, b: #tb| if #test { #va } else { #vb });
    }
}
