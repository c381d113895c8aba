use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cast::convert;
use crate::emit::f32_lit;
use crate::ir::DType;

/// In f32 for an f32 input, else in double (ExecuTorch's compute types).
pub fn emit(exponent: f64, from: DType, to: DType, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out, t) = (&r[0], &w[0], format_ident!("{}", from.rust()));
    let body = if from == DType::F32 {
        let e = f32_lit(exponent);
        convert(quote!(::etch_kernels::elementwise::math::pow(v, #e)), DType::F32, to)
    } else {
        let (e, dst) = (proc_macro2::Literal::f64_suffixed(exponent), format_ident!("{}", to.rust()));
        quote!(::etch_kernels::elementwise::math::pow_f64(v as f64, #e) as #dst)
    };
    quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v: #t| #body);)
}
