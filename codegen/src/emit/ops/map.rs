//! A fused chain of f32 elementwise ops: one closure, each step written as
//! the unfused op's emitter writes it (same operations, same order).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::unary::func;
use crate::emit::f32_lit;
use crate::ir::{DType, MapArg, MapStep};

pub fn emit(steps: &[MapStep], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let t = |i: usize| format_ident!("t{i}");
    let lets = steps.iter().enumerate().map(|(i, s)| {
        let arg = |a: &MapArg| match a {
            MapArg::X => quote!(v),
            MapArg::Prev => {
                let p = t(i.saturating_sub(1));
                quote!(#p)
            }
            MapArg::Const(c) => f32_lit(*c),
        };
        let value = match s {
            MapStep::Unary { f, x } => {
                let (f, x) = (func(*f), arg(x));
                quote!(::etch_kernels::elementwise::math::#f(#x))
            }
            MapStep::Clamp { min, max, x } => {
                let (x, u) = (arg(x), format_ident!("u"));
                let steps = super::clamp::steps(*min, *max, &u);
                quote!({ let u = #x; #steps u })
            }
            MapStep::Binary { f, alpha, a, b } => super::binary::expr(*f, *alpha, &arg(a), &arg(b), DType::F32),
        };
        let ti = t(i);
        // The last step is the closure's value.
        if i + 1 == steps.len() {
            value
        } else {
            quote!(let #ti = #value;)
        }
    });
    let (x, out) = (&r[0], &w[0]);
    quote!(::etch_kernels::elementwise::unary::map(#x, #out, |v: f32| { #(#lets)* });)
}
