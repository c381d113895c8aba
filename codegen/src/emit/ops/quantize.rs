use proc_macro2::{Literal, TokenStream};
use quote::quote;

use crate::emit::{f32_lit, lit};

/// The inverse scale is computed here, as ExecuTorch does once per call: `1.0f32 / scale as f32`.
pub fn quantize(scale: f64, zero_point: i64, min: i64, max: i64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let inv = f32_lit(f64::from(1.0f32 / scale as f32));
    let (zp, min, max) = (i32_lit(zero_point), i32_lit(min), i32_lit(max));
    quote!(::etch_kernels::quant::affine::quantize(#x, #out, #inv, #zp, #min, #max);)
}

pub fn dequantize(scale: f64, zero_point: i64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (q, out, scale, zp) = (&r[0], &w[0], f32_lit(scale), i32_lit(zero_point));
    quote!(::etch_kernels::quant::affine::dequantize(#q, #out, #scale, #zp);)
}

/// `r` is `[q, scales]` or `[q, scales, zero_points]`.
pub fn per_channel(shape: &[usize], axis: usize, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (q, scales, out) = (&r[0], &r[1], &w[0]);
    let zps = match r.get(2) {
        Some(z) => quote!(Some(#z)),
        None => quote!(None::<&[i64]>),
    };
    let channels = lit(shape.get(axis).copied().unwrap_or(1));
    let inner = lit(shape.get(axis + 1..).map_or(1, |s| s.iter().product()));
    quote!(::etch_kernels::quant::affine::dequantize_per_channel(#q, #out, #scales, #zps, #channels, #inner);)
}

/// Lowering checked that every zero point and bound fits in i32.
pub(super) fn i32_lit(v: i64) -> Literal {
    Literal::i32_suffixed(v as i32)
}

pub fn dynamic(row: usize, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out, row) = (&r[0], &w[0], lit(row));
    quote!(::etch_kernels::quant::dynamic::fake_quant_rows(#x, #out, #row);)
}
