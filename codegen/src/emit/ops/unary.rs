use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::f32_lit;
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
        UnaryFn::Floor => quote!(floor),
        UnaryFn::Ceil => quote!(ceil),
        UnaryFn::Log => quote!(log),
        UnaryFn::Sin => quote!(sin),
        UnaryFn::Cos => quote!(cos),
    }
}

pub fn leaky_relu(slope: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out, slope) = (&r[0], &w[0], f32_lit(slope));
    quote!(::etch_kernels::unary::map(#x, #out, |v| ::etch_kernels::math::leaky_relu(v, #slope));)
}

pub fn elu(alpha: f64, scale: f64, input_scale: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let (a, s, i) = (f32_lit(alpha), f32_lit(scale), f32_lit(input_scale));
    quote!(::etch_kernels::unary::map(#x, #out, |v| ::etch_kernels::math::elu(v, #a, #s, #i));)
}
