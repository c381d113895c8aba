use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::ir::DType;

pub fn emit(start: f64, step: f64, dtype: DType, w: &[TokenStream]) -> TokenStream {
    let (out, t) = (&w[0], format_ident!("{}", dtype.rust()));
    let (start, step) = (Literal::f64_suffixed(start), Literal::f64_suffixed(step));
    quote!(::etch_kernels::index::rows::arange(#out, #start, #step, |v: f64| v as #t);)
}
