use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{dims, f32_lit, lit};
use crate::ir::{Method, Node, Op};

/// Rows are the leading dims outside the normalised `inner` elements; they
/// may be runtime sizes.
fn rows(m: &Method, node: &Node, inner: usize) -> TokenStream {
    let d = dims::dims(m, node.inputs[0]);
    let shape = &m.values[node.inputs[0]].ty.shape;
    let (mut keep, mut n) = (shape.len(), 1);
    while n < inner && keep > 0 {
        keep -= 1;
        n *= shape[keep];
    }
    dims::product(&d[..keep])
}

/// Inputs `[x, weight?, bias?]`; ExecuTorch passes `eps` on as an f32.
pub fn emit(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let Op::LayerNorm { eps, inner, has_weight, has_bias } = node.op else { return TokenStream::new() };
    let mut rest = r[1..].iter();
    let mut opt = |present: bool| match (present, rest.next()) {
        (true, Some(t)) => quote!(Some(#t)),
        _ => quote!(None),
    };
    let (weight, bias) = (opt(has_weight), opt(has_bias));
    let (x, out, eps, rows, n) = (&r[0], &w[0], f32_lit(eps), rows(m, node, inner), lit(inner));
    quote!(::etch_kernels::norm::batch_layer::layer_norm(#x, #out, #weight, #bias, #eps, #rows, #n);)
}

pub fn stat(m: &Method, node: &Node, eps: f64, inner: usize, rstd: bool, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out, eps, rows, n) = (&r[0], &w[0], f32_lit(eps), rows(m, node, inner), lit(inner));
    quote!(::etch_kernels::norm::batch_layer::layer_norm_stat(#x, #out, #eps, #rows, #n, #rstd);)
}

/// Inputs `[x, weight?, bias?]`, outputs `[out, mean, rstd]`.
pub fn group(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let Op::GroupNorm { groups, eps, has_weight, has_bias } = node.op else { return TokenStream::new() };
    let mut rest = r[1..].iter();
    let mut opt = |present: bool| match (present, rest.next()) {
        (true, Some(t)) => quote!(Some(#t)),
        _ => quote!(None),
    };
    let (weight, bias) = (opt(has_weight), opt(has_bias));
    let shape = &m.values[node.inputs[0]].ty.shape;
    let (n, c) = (lit(shape[0]), lit(shape[1]));
    let hw = lit(shape[2..].iter().product());
    let (x, out, mean, rstd, g) = (&r[0], &w[0], &w[1], &w[2], lit(groups));
    let eps = proc_macro2::Literal::f64_suffixed(eps);
    quote!(::etch_kernels::norm::group::group_norm(#x, #weight, #bias, #out, #mean, #rstd, #n, #c, #hw, #g, #eps);)
}

/// Inputs `[x, weight?, bias?]`, outputs `[out, mean, invstd]`.
pub fn batch_stats(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let Op::BatchStatNorm { eps, has_weight, has_bias } = node.op else { return TokenStream::new() };
    let mut rest = r[1..].iter();
    let mut opt = |present: bool| match (present, rest.next()) {
        (true, Some(t)) => quote!(Some(#t)),
        _ => quote!(None),
    };
    let (weight, bias) = (opt(has_weight), opt(has_bias));
    let shape = &m.values[node.inputs[0]].ty.shape;
    let (n, c, inner) = (lit(shape[0]), lit(shape[1]), lit(shape[2..].iter().product()));
    let (x, out, mean, inv) = (&r[0], &w[0], &w[1], &w[2]);
    let eps = proc_macro2::Literal::f64_suffixed(eps);
    quote!(::etch_kernels::norm::group::batch_stat_norm(#x, #weight, #bias, #out, #mean, #inv, #n, #c, #inner, #eps);)
}
