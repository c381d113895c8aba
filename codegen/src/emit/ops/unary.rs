use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cast::convert;
use crate::emit::f32_lit;
use crate::ir::{DType, UnaryFn};

pub fn emit(f: UnaryFn, din: DType, dout: DType, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    if din == DType::F32 && dout == DType::F32 {
        let func = func(f);
        return quote!(::etch_kernels::elementwise::unary::map(#x, #out, ::etch_kernels::elementwise::math::#func););
    }
    let t = format_ident!("{}", din.rust());
    let body = match f {
        UnaryFn::IsNan if din.is_float() => quote!(v.is_nan()),
        UnaryFn::IsInf if din.is_float() => quote!(v.is_infinite()),
        UnaryFn::IsNan | UnaryFn::IsInf => quote!(false),
        // Integers stay integers, and a bool's sign is itself.
        UnaryFn::Floor | UnaryFn::Ceil | UnaryFn::Trunc | UnaryFn::Round if din == dout => quote!(v),
        UnaryFn::Sign if din == DType::Bool => quote!(v),
        UnaryFn::Sign if din == dout => quote!(((v > 0) as #t) - ((v < 0) as #t)),
        UnaryFn::Abs if din == dout => quote!(v.wrapping_abs()),
        UnaryFn::Neg if din == dout => quote!(v.wrapping_neg()),
        UnaryFn::Relu if din == dout => quote!(if v > 0 { v } else { 0 }),
        _ => {
            let (func, v) = (func(f), convert(quote!(v), din, DType::F32));
            quote!(::etch_kernels::elementwise::math::#func(#v))
        }
    };
    quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v: #t| #body);)
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
        UnaryFn::Log1p => quote!(log1p),
        UnaryFn::Expm1 => quote!(expm1),
        UnaryFn::Log2 => quote!(log2),
        UnaryFn::Log10 => quote!(log10),
        UnaryFn::Reciprocal => quote!(reciprocal),
        UnaryFn::Trunc => quote!(trunc),
        UnaryFn::Round => quote!(round),
        UnaryFn::Sign => quote!(sign),
        UnaryFn::Erf => quote!(erf),
        UnaryFn::Tan => quote!(tan),
        UnaryFn::Asin => quote!(asin),
        UnaryFn::Acos => quote!(acos),
        UnaryFn::Atan => quote!(atan),
        UnaryFn::Sinh => quote!(sinh),
        UnaryFn::Cosh => quote!(cosh),
        UnaryFn::Asinh => quote!(asinh),
        UnaryFn::Acosh => quote!(acosh),
        UnaryFn::Atanh => quote!(atanh),
        UnaryFn::IsNan => quote!(is_nan),
        UnaryFn::IsInf => quote!(is_inf),
    }
}

pub fn leaky_relu(slope: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out, slope) = (&r[0], &w[0], f32_lit(slope));
    quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v| ::etch_kernels::elementwise::math::leaky_relu(v, #slope));)
}

pub fn elu(alpha: f64, scale: f64, input_scale: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let (a, s, i) = (f32_lit(alpha), f32_lit(scale), f32_lit(input_scale));
    quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v| ::etch_kernels::elementwise::math::elu(v, #a, #s, #i));)
}
