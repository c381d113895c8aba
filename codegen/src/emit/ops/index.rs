use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::{lit, list};
use crate::ir::{DType, Method, Node};

/// `x` viewed as `[lead, size, trail]` around `dim`.
fn around(shape: &[usize], dim: usize) -> [TokenStream; 3] {
    let lead = lit(shape[..dim].iter().product());
    let size = lit(shape.get(dim).copied().unwrap_or(1));
    let trail = lit(shape.get(dim + 1..).map_or(1, |s| s.iter().product()));
    [quote!(#lead), quote!(#size), quote!(#trail)]
}

/// The method's early return on an index from data out of `[0, size)`
/// (with `wrap`, negative ones count from the end first), as ExecuTorch fails.
pub fn check(m: &Method, node: &Node, index: &TokenStream, size: usize, wrap: bool) -> TokenStream {
    if !m.checks_index(node) {
        return quote!();
    }
    let (op, size) = (node.op.name(), lit(size));
    quote!(::etch_kernels::index::rows::check(#op, #index, #size, #wrap)?;)
}

/// Inputs `[x, index]`.
pub fn select(m: &Method, node: &Node, dim: usize, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let shape = &m.values[node.inputs[0]].ty.shape;
    let (x, index, out) = (&r[0], &r[1], &w[0]);
    let check = check(m, node, index, shape[dim], false);
    let [lead, size, trail] = around(shape, dim);
    quote! {
        #check
        ::etch_kernels::index::rows::index_select(#x, #index, #out, #lead, #size, #trail);
    }
}

/// Inputs `[x, values, index...]`: copy, then write the indexed slices.
pub fn put(m: &Method, node: &Node, dim: usize, accumulate: bool, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (shape, dtype) = (&m.values[node.inputs[0]].ty.shape, m.values[node.inputs[0]].ty.dtype);
    let (x, values, out) = (&r[0], &r[1], &w[0]);
    let count = node.inputs.len() - 2;
    let checks = r[2..].iter().enumerate().map(|(k, i)| check(m, node, i, shape[dim + k], true));
    let t = format_ident!("{}", dtype.rust());
    let combine = match (accumulate, dtype) {
        (false, _) => quote!(|_, v| v),
        (true, DType::Bool) => quote!(|o, v| o || v),
        (true, DType::F32) => quote!(|o, v| o + v),
        // Integers wrap, as in C++, instead of panicking in a debug build.
        (true, _) => quote!(|o: #t, v: #t| o.wrapping_add(v)),
    };
    let write = if count == 1 {
        let [lead, size, trail] = around(shape, dim);
        let index = &r[2];
        quote!(::etch_kernels::index::rows::index_put(#out, #index, #values, #lead, #size, #trail, #combine);)
    } else {
        let (indices, sizes) = (&r[2..], list(&shape[dim..dim + count]));
        let lead = lit(shape[..dim].iter().product());
        let trail = lit(shape[dim + count..].iter().product());
        quote!(::etch_kernels::index::rows::index_put_nd(#out, &[#(#indices),*], &#sizes, #values, #lead, #trail, #combine);)
    };
    quote! {
        #(#checks)*
        ::etch_kernels::shape::layout::copy(#x, #out);
        #write
    }
}

/// Inputs `[x, index]`: `gather` along `dim`.
pub fn gather(m: &Method, node: &Node, dim: usize, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (xs, is) = (&m.values[node.inputs[0]].ty.shape, &m.values[node.inputs[1]].ty.shape);
    let (x, index, out) = (&r[0], &r[1], &w[0]);
    let check = check(m, node, index, xs.get(dim).copied().unwrap_or(1), false);
    let (xl, il, d) = (list(xs), list(is), lit(dim));
    quote! {
        #check
        ::etch_kernels::index::gather::gather(#x, &#xl, #index, &#il, #d, #out);
    }
}

/// Inputs `[x, index...]`: `index.Tensor` on the dims from `first`.
pub fn tensor(m: &Method, node: &Node, first: usize, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let xs = &m.values[node.inputs[0]].ty.shape;
    let count = node.inputs.len() - 1;
    let sizes = &xs[first..first + count];
    let checks = r[1..].iter().zip(sizes).map(|(i, &n)| check(m, node, i, n, true));
    let (x, out, indices) = (&r[0], &w[0], &r[1..]);
    let lead = lit(xs[..first].iter().product());
    let trail = lit(xs[first + count..].iter().product());
    let sizes = list(sizes);
    quote! {
        #(#checks)*
        ::etch_kernels::index::gather::index_tensor(#x, &[#(#indices),*], &#sizes, #out, #lead, #trail);
    }
}

pub fn flip(shape: &[usize], dims: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let flags = (0..shape.len()).map(|d| dims.contains(&d));
    let shape = list(shape);
    quote!(::etch_kernels::shape::reorder::flip(#x, &#shape, &[#(#flags),*], #out);)
}

/// Inputs `[x, index, src]`: copy, then write (or add) `src` at the indices.
pub fn scatter(m: &Method, node: &Node, dim: usize, add: bool, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let ty = |k: usize| &m.values[node.inputs[k]].ty;
    let (xs, is, ss, d) = (&ty(0).shape, &ty(1).shape, &ty(2).shape, ty(0).dtype);
    let (x, index, src, out) = (&r[0], &r[1], &r[2], &w[0]);
    let check = check(m, node, index, xs.get(dim).copied().unwrap_or(1), false);
    // A scalar src reads its one element everywhere.
    let (src_shape, read) = if ss.is_empty() { (is, quote!(|_| src.first().copied().unwrap_or_default())) } else { (ss, quote!(|k| src.get(k).copied().unwrap_or_default())) };
    let t = format_ident!("{}", d.rust());
    let combine = match (add, d) {
        (false, _) => quote!(|_, v| v),
        (true, DType::Bool) => quote!(|a, v| a | v),
        (true, DType::F32) => quote!(|a, v| a + v),
        (true, _) => quote!(|a: #t, v: #t| a.wrapping_add(v)),
    };
    let (xl, il, sl, dl) = (list(xs), list(is), list(src_shape), lit(dim));
    quote! {
        #check
        ::etch_kernels::shape::layout::copy(#x, #out);
        let src = #src;
        ::etch_kernels::index::gather::scatter(#out, &#xl, #index, &#il, #dl, &#sl, #read, #combine);
    }
}

pub fn pad_edges(x: &[usize], before: &[usize], reflect: bool, out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (xs, o, xl, bl, ol) = (&r[0], &w[0], list(x), list(before), list(out));
    quote!(::etch_kernels::shape::reorder::pad_edges(#xs, &#xl, &#bl, #o, &#ol, #reflect);)
}

pub fn roll(shape: &[usize], shifts: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, o, sl, shl) = (&r[0], &w[0], list(shape), list(shifts));
    quote!(::etch_kernels::shape::reorder::roll(#x, &#sl, &#shl, #o);)
}

pub fn tril(shape: &[usize], diagonal: i64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, o) = (&r[0], &w[0]);
    let n = shape.len();
    let (rows, cols) = (lit(shape[n - 2]), lit(shape[n - 1]));
    let d = proc_macro2::Literal::i64_suffixed(diagonal);
    quote!(::etch_kernels::shape::reorder::tril(#x, #o, #rows, #cols, #d);)
}

/// Inputs `[x, mask, src]`; the `Err` only where `src` may run out.
pub fn masked_scatter(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, mask, src, out) = (&r[0], &r[1], &r[2], &w[0]);
    let call = quote!(::etch_kernels::index::gather::masked_scatter(#x, #mask, #src, #out));
    if m.checks_index(node) {
        quote!(#call?;)
    } else {
        // `src` covers every element: it cannot run out.
        quote!(let _ = #call;)
    }
}

pub fn cdist(a: &[usize], b: &[usize], p: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let n = a.len();
    let (batch, rows1, rows2, k) = (lit(a[..n - 2].iter().product()), lit(a[n - 2]), lit(b[n - 2]), lit(a[n - 1]));
    let (x1, x2, out, p) = (&r[0], &r[1], &w[0], crate::emit::f32_lit(p));
    quote!(::etch_kernels::reduce::distance::cdist(#x1, #x2, #out, #batch, #rows1, #rows2, #k, #p);)
}

pub fn pdist(x: &[usize], p: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (xs, out, n, k, p) = (&r[0], &w[0], lit(x[0]), lit(x[1]), crate::emit::f32_lit(p));
    quote!(::etch_kernels::reduce::distance::pdist(#xs, #out, #n, #k, #p);)
}


/// Inputs `[x, mask]`: sets the method's row count for the output.
pub fn masked_select(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, mask, out, rows) = (&r[0], &r[1], &w[0], crate::emit::dims::rows_ident(node.outputs[0]));
    let (xs, ms) = (&m.values[node.inputs[0]].ty.shape, &m.values[node.inputs[1]].ty.shape);
    let trail = lit(xs[ms.len()..].iter().product());
    quote!(#rows = ::etch_kernels::index::gather::masked_rows(#x, #mask, #out, #trail);)
}
