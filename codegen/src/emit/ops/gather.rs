use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{lit, list};

pub fn emit(offset: usize, strides: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, o) = (&r[0], &w[0]);
    let (offset, strides, shape) = (lit(offset), list(strides), list(out));
    quote!(::etch_kernels::shape::layout::gather_strided(#x, #offset, &#strides, #o, &#shape);)
}
