use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::f32_lit;

/// NaN passes through: both comparisons are false for it.
pub fn emit(min: Option<f64>, max: Option<f64>, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let lower = min.map(|m| {
        let m = f32_lit(m);
        quote!(let v = if v < #m { #m } else { v };)
    });
    let upper = max.map(|m| {
        let m = f32_lit(m);
        quote!(let v = if v > #m { #m } else { v };)
    });
    let (x, out) = (&r[0], &w[0]);
    quote!(::etch_kernels::unary::map(#x, #out, |v: f32| { #lower #upper v });)
}
