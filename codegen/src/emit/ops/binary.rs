use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{f32_lit, list};
use crate::ir::BinaryFn;
use crate::lower::strides;

pub fn emit(
    f: BinaryFn,
    alpha: f64,
    a_shape: &[usize],
    b_shape: &[usize],
    out_shape: &[usize],
    r: &[TokenStream],
    w: &[TokenStream],
) -> TokenStream {
    let scaled = if alpha == 1.0 {
        quote!(b)
    } else {
        let alpha = f32_lit(alpha);
        quote!(#alpha * b)
    };
    let body = match f {
        BinaryFn::Add => quote!(a + #scaled),
        BinaryFn::Sub => quote!(a - #scaled),
        BinaryFn::Mul => quote!(a * b),
        BinaryFn::Div => quote!(a / b),
    };
    let (a, b, out) = (&r[0], &r[1], &w[0]);
    if a_shape == out_shape && b_shape == out_shape {
        return quote!(::etch_kernels::binary::zip(#a, #b, #out, |a: f32, b: f32| #body););
    }
    let (sa, sb, so) = (list(&broadcast_strides(a_shape, out_shape)), list(&broadcast_strides(b_shape, out_shape)), list(out_shape));
    quote!(::etch_kernels::binary::broadcast(#a, &#sa, #b, &#sb, #out, &#so, |a: f32, b: f32| #body);)
}

/// Strides of `shape` read as `out`'s shape: 0 along broadcast dims.
pub fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let own = strides(shape);
    let lead = out.len() - shape.len();
    (0..out.len())
        .map(|d| if d < lead || shape[d - lead] == 1 { 0 } else { own[d - lead] })
        .collect()
}
