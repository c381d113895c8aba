use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::DType;

pub fn copy(r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    quote!(::etch_kernels::shape::layout::copy(#x, #out);)
}

/// Converts like a C++ `static_cast`, as ExecuTorch does.
pub fn cast(from: DType, to: DType, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let src = format_ident!("{}", from.rust());
    let body = convert(quote!(v), from, to);
    quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v: #src| #body);)
}

/// `expr` of dtype `from` as a `to`, like a C++ `static_cast`.
pub fn convert(expr: TokenStream, from: DType, to: DType) -> TokenStream {
    let dst = format_ident!("{}", to.rust());
    match (from, to) {
        _ if from == to => expr,
        (DType::Bool, DType::F32) => quote!(if #expr { 1.0 } else { 0.0 }),
        (DType::Bool, _) => quote!((#expr) as #dst),
        (DType::F32, DType::Bool) => quote!((#expr) != 0.0),
        (_, DType::Bool) => quote!((#expr) != 0),
        _ => quote!((#expr) as #dst),
    }
}
