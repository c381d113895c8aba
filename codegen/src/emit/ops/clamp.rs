use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::emit::{f32_lit, scalar_lit};
use crate::ir::DType;

pub fn emit(min: Option<f64>, max: Option<f64>, dtype: DType, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    if dtype != DType::F32 {
        let t = format_ident!("{}", dtype.rust());
        let lower = min.map(|m| scalar_lit(m, dtype)).map(|m| quote!(let v = if v < #m { #m } else { v };));
        let upper = max.map(|m| scalar_lit(m, dtype)).map(|m| quote!(let v = if v > #m { #m } else { v };));
        return quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v: #t| { #lower #upper v });)
    }
    let steps = steps(min, max, &format_ident!("v"));
    quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v: f32| { #steps v });)
}

/// Statements that clamp the f32 variable `v` in place. NaN passes through:
/// both comparisons are false for it.
pub fn steps(min: Option<f64>, max: Option<f64>, v: &Ident) -> TokenStream {
    let lower = min.map(|m| {
        let m = f32_lit(m);
        quote!(let #v = if #v < #m { #m } else { #v };)
    });
    let upper = max.map(|m| {
        let m = f32_lit(m);
        quote!(let #v = if #v > #m { #m } else { #v };)
    });
    quote!(#lower #upper)
}
