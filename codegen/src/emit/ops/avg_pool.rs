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
    quote!(::etch_kernels::pool::window::avg_pool2d_with_divisor(#xs, #o, &#params, #count_include_pad, #divisor);)
}

/// Over the last two dims; i64 sums in f32 like ExecuTorch.
pub fn adaptive(x: &[usize], out: &[usize], dtype: crate::ir::DType, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let r2 = x.len() - 2;
    let planes = crate::emit::lit(x[..r2].iter().product());
    let [ih, iw, oh, ow] = [x[r2], x[r2 + 1], out[r2], out[r2 + 1]].map(crate::emit::lit);
    let (load, store) = if dtype == crate::ir::DType::F32 { (quote!(|v: f32| v), quote!(|s| s)) } else { (quote!(|v: i64| v as f32), quote!(|s: f32| s as i64)) };
    let (xs, o) = (&r[0], &w[0]);
    quote!(::etch_kernels::pool::window::adaptive_avg_pool2d(#xs, #o, #planes, #ih, #iw, #oh, #ow, #load, #store);)
}
