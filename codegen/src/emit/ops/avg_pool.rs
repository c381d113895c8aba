use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::Pool2d;

pub fn emit(p: &Pool2d, count_include_pad: bool, divisor: Option<i64>, x: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let params = super::max_pool::params(p, x, out);
    let divisor = match divisor {
        Some(d) => quote!(Some(#d)),
        None => quote!(None),
    };
    let (xs, o) = (&r[0], &w[0]);
    quote!(::etch_kernels::pool::avg_pool2d_with_divisor(#xs, #o, &#params, #count_include_pad, #divisor);)
}
