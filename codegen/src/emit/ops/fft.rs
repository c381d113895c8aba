//! The real FFT and the magnitude of complex values (held as f32 pairs).

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;

pub fn real(outer: usize, n: usize, inner: usize, scale: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, o) = (&r[0], &w[0]);
    let (outer, n, inner) = (lit(outer), lit(n), lit(inner));
    let scale = proc_macro2::Literal::f32_suffixed(scale as f32);
    quote!(::etch_kernels::spectral::rfft(#x, #o, #outer, #n, #inner, #scale);)
}

pub fn complex_abs(r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, o) = (&r[0], &w[0]);
    quote!(::etch_kernels::spectral::complex_abs(#x, #o);)
}
