//! Quantized embedding tables, indices checked first when they come from data.

use proc_macro2::TokenStream;
use quote::quote;

use super::index::check;
use crate::emit::lit;
use crate::ir::{Method, Node};

/// Inputs `[weight, scales, index]` plus zero points.
pub fn emit(m: &Method, node: &Node, bits: u8, groups: usize, has_zp: bool, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let ws = &m.values[node.inputs[0]].ty.shape;
    let dim = if bits == 4 { ws[1] * 2 } else { ws[1] };
    let (weight, scales, index, out) = (&r[0], &r[1], &r[2], &w[0]);
    let zp = if has_zp {
        let z = &r[3];
        quote!(Some(#z))
    } else {
        quote!(None)
    };
    let check = check(m, node, index, ws[0], false);
    let (rows, dim, groups) = (lit(ws[0]), lit(dim), lit(groups));
    let table = quote!(::etch_kernels::quant::embedding::Table { rows: #rows, dim: #dim, groups: #groups });
    let f = if bits == 4 { quote!(embedding_4bit) } else { quote!(embedding_byte) };
    quote! {
        #check
        ::etch_kernels::quant::embedding::#f(#weight, #scales, #zp, #index, #out, #table);
    }
}
