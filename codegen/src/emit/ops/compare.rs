use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::binary::call;
use super::cast::convert;
use crate::ir::{CmpFn, DType, LogicFn, Method, Node};
use crate::lower::promote::promote;

/// `a cmp b` in the promoted dtype, stored as the output's dtype.
pub fn compare(m: &Method, node: &Node, f: CmpFn, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let dtype = |v: usize| m.values[v].ty.dtype;
    let (da, db, dout) = (dtype(node.inputs[0]), dtype(node.inputs[1]), dtype(node.outputs[0]));
    let c = promote(da, db).unwrap_or(da);
    let (a, b) = (convert(quote!(a), da, c), convert(quote!(b), db, c));
    let test = match f {
        CmpFn::Eq => quote!(#a == #b),
        CmpFn::Ne => quote!(#a != #b),
        CmpFn::Lt => quote!(#a < #b),
        CmpFn::Le => quote!(#a <= #b),
        CmpFn::Gt => quote!(#a > #b),
        CmpFn::Ge => quote!(#a >= #b),
    };
    let body = convert(test, DType::Bool, dout);
    let (ta, tb) = (format_ident!("{}", da.rust()), format_ident!("{}", db.rust()));
    call(m, node, quote!(|a: #ta, b: #tb| #body), r, w)
}

/// Each side as a bool, combined, stored as the output's dtype.
pub fn logical(m: &Method, node: &Node, f: LogicFn, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let dtype = |v: usize| m.values[v].ty.dtype;
    let (da, db, dout) = (dtype(node.inputs[0]), dtype(node.inputs[1]), dtype(node.outputs[0]));
    let (a, b) = (convert(quote!(a), da, DType::Bool), convert(quote!(b), db, DType::Bool));
    let test = match f {
        LogicFn::And => quote!(#a && #b),
        LogicFn::Or => quote!(#a || #b),
        LogicFn::Xor => quote!((#a) != (#b)),
    };
    let body = convert(test, DType::Bool, dout);
    let (ta, tb) = (format_ident!("{}", da.rust()), format_ident!("{}", db.rust()));
    call(m, node, quote!(|a: #ta, b: #tb| #body), r, w)
}

/// Logical not through a bool; bitwise not keeps the dtype (`!` on bools is logical).
pub fn not(m: &Method, node: &Node, bitwise: bool, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (dx, dout) = (m.values[node.inputs[0]].ty.dtype, m.values[node.outputs[0]].ty.dtype);
    let body = if bitwise {
        quote!(!v)
    } else {
        let t = convert(quote!(v), dx, DType::Bool);
        convert(quote!(!(#t)), DType::Bool, dout)
    };
    let (x, out, tx) = (&r[0], &w[0], format_ident!("{}", dx.rust()));
    quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v: #tx| #body);)
}
