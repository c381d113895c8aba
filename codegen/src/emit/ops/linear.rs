use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{f32_lit, lit};

/// `out[m, n] = beta * bias + alpha * a @ b`, the bias broadcast through strides.
pub fn addmm(bias: &[usize], out: &[usize], k: usize, beta: f64, alpha: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (m, n) = (out[0], out[1]);
    let col = if bias.last().copied().unwrap_or(1) == n && n > 1 { 1 } else { 0 };
    let row = if bias.len() == 2 && bias[0] == m && m > 1 { bias[1] } else { 0 };
    let (b, a, wt, o) = (&r[0], &r[1], &r[2], &w[0]);
    let (row, col, m, k, n) = (lit(row), lit(col), lit(m), lit(k), lit(n));
    let (beta, alpha) = (f32_lit(beta), f32_lit(alpha));
    quote!(::etch_kernels::matmul::linear::addmm(#o, #b, [#row, #col], #a, #wt, #m, #k, #n, #beta, #alpha);)
}

pub fn mm(a: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (m, k, n) = (lit(out[0]), lit(a[1]), lit(out[1]));
    let (x, y, o) = (&r[0], &r[1], &w[0]);
    quote!(::etch_kernels::matmul::linear::mm(#o, #x, #y, #m, #k, #n);)
}

pub fn bmm(a: &[usize], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (batch, m, k, n) = (lit(out[0]), lit(out[1]), lit(a[2]), lit(out[2]));
    let (x, y, o) = (&r[0], &r[1], &w[0]);
    quote!(::etch_kernels::matmul::linear::bmm(#o, #x, #y, #batch, #m, #k, #n);)
}
