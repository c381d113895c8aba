use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cast::convert;
use crate::emit::lit;
use crate::ir::DType;

/// `dims` is one run of adjacent dims (checked by lowering), or empty.
pub fn emit(shape: &[usize], dtype: DType, dims: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out, t) = (&r[0], &w[0], format_ident!("{}", dtype.rust()));
    let truthy = convert(quote!(v), dtype, DType::Bool);
    let (Some(&first), Some(&last)) = (dims.first(), dims.last()) else {
        return quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v: #t| #truthy););
    };
    let outer = lit(shape[..first].iter().product());
    let reduce = lit(shape[first..=last].iter().product());
    let inner = lit(shape[last + 1..].iter().product());
    quote!(::etch_kernels::reduce::logic::any_axis(#x, #out, #outer, #reduce, #inner, |v: #t| #truthy);)
}
