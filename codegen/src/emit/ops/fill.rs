use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::scalar_lit;
use crate::ir::DType;

pub fn emit(value: f64, dtype: DType, w: &[TokenStream]) -> TokenStream {
    let (o, v) = (&w[0], scalar_lit(value, dtype));
    quote!(::etch_kernels::shape::layout::fill(#o, #v);)
}
