use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::ir::DType;

pub fn copy(r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    quote!(::etch_kernels::layout::copy(#x, #out);)
}

/// Converts like a C++ `static_cast`, as ExecuTorch does.
pub fn cast(from: DType, to: DType, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let (src, dst) = (format_ident!("{}", from.rust()), format_ident!("{}", to.rust()));
    let body = match (from, to) {
        (DType::Bool, DType::F32) => quote!(if v { 1.0 } else { 0.0 }),
        (DType::Bool, _) => quote!(v as #dst),
        (DType::F32, DType::Bool) => quote!(v != 0.0),
        (_, DType::Bool) => quote!(v != 0),
        _ => quote!(v as #dst),
    };
    quote!(::etch_kernels::unary::map(#x, #out, |v: #src| #body);)
}
