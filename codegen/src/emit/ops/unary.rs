use proc_macro2::TokenStream;
use quote::quote;

use crate::ir::UnaryFn;

pub fn emit(f: UnaryFn, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let func = func(f);
    let (x, out) = (&r[0], &w[0]);
    quote!(::etch_kernels::unary::map(#x, #out, ::etch_kernels::math::#func);)
}

/// The `etch_kernels::math` function computing `f`.
pub fn func(f: UnaryFn) -> TokenStream {
    match f {
        UnaryFn::Abs => quote!(abs),
        UnaryFn::Neg => quote!(neg),
        UnaryFn::Exp => quote!(exp),
        UnaryFn::Tanh => quote!(tanh),
        UnaryFn::Sigmoid => quote!(sigmoid),
        UnaryFn::Relu => quote!(relu),
        UnaryFn::Sqrt => quote!(sqrt),
        UnaryFn::Rsqrt => quote!(rsqrt),
        UnaryFn::Gelu => quote!(gelu),
        UnaryFn::GeluTanh => quote!(gelu_tanh),
    }
}
