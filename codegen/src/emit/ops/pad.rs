use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{lit, scalar_lit};
use crate::ir::DType;

pub fn emit(before: &[usize], value: f64, dtype: DType, x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (xs, bs, os) = (x.iter().map(|&d| lit(d)), before.iter().map(|&d| lit(d)), out.iter().map(|&d| lit(d)));
    let (a, o, v) = (&r[0], &w[0], scalar_lit(value, dtype));
    quote!(::etch_kernels::shape::layout::pad(#a, &[#(#xs),*], &[#(#bs),*], #o, &[#(#os),*], #v);)
}
