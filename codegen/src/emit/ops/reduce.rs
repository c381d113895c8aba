//! Reductions, cumsum and topk: each op's arithmetic and NaN rule as closures
//! around `etch_kernels::reduction`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cast::convert;
use crate::emit::{lit, list, scalar_lit};
use crate::ir::{DType, Method, Node, ReduceFn};

pub fn emit(m: &Method, node: &Node, f: ReduceFn, dims: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let xt = &m.values[node.inputs[0]].ty;
    let (din, dout) = (xt.dtype, m.values[node.outputs[0]].ty.dtype);
    let (shape, mask) = (list(&xt.shape), mask(xt.shape.len(), dims));
    let t = format_ident!("{}", din.rust());
    let x = &r[0];
    let call = |out: &TokenStream, empty: TokenStream, first: TokenStream, step: TokenStream, finish: TokenStream| {
        quote!(::etch_kernels::reduce::dims::reduce(#x, &#shape, &#mask, #out, #empty, #first, #step, #finish);)
    };
    match f {
        ReduceFn::Sum | ReduceFn::Prod => {
            let o = format_ident!("{}", dout.rust());
            let v = convert(quote!(v), din, dout);
            let (zero, one) = (scalar_lit(0.0, dout), scalar_lit(1.0, dout));
            let (first, step) = match (f, dout.is_float()) {
                (ReduceFn::Sum, true) => (quote!(|v: #t| #zero + #v), quote!(|a: #o, v: #t, _| a + #v)),
                (ReduceFn::Sum, false) => (quote!(|v: #t| #v), quote!(|a: #o, v: #t, _| a.wrapping_add(#v))),
                (_, true) => (quote!(|v: #t| #v), quote!(|a: #o, v: #t, _| a * #v)),
                (_, false) => (quote!(|v: #t| #v), quote!(|a: #o, v: #t, _| a.wrapping_mul(#v))),
            };
            let empty = if f == ReduceFn::Sum { zero } else { one };
            call(&w[0], empty, first, step, quote!(|a| a))
        }
        ReduceFn::Max | ReduceFn::Min if node.outputs.len() == 1 => {
            let wins = wins(f, din, quote!(v), quote!(a));
            let zero = scalar_lit(0.0, din);
            call(&w[0], zero, quote!(|v: #t| v), quote!(|a: #t, v: #t, _| if #wins { v } else { a }), quote!(|a| a))
        }
        _ => {
            // (best value, its position among the reduced elements)
            let wins = arg_wins(f, din);
            let first = quote!(|v: #t| (v, 0i64));
            let step = quote!(|a: (#t, i64), v: #t, i: usize| if #wins { (v, i as i64) } else { a });
            let zero = scalar_lit(0.0, din);
            let empty = quote!((#zero, 0i64));
            if node.outputs.len() == 2 {
                let values = call(&w[0], empty.clone(), first.clone(), step.clone(), quote!(|a: (#t, i64)| a.0));
                let indices = call(&w[1], empty, first, step, quote!(|a: (#t, i64)| a.1));
                quote!(#values #indices)
            } else {
                call(&w[0], empty, first, step, quote!(|a: (#t, i64)| a.1))
            }
        }
    }
}

/// Whether `v` replaces the running `a` of an `amax`/`amin`: NaN wins.
fn wins(f: ReduceFn, d: DType, v: TokenStream, a: TokenStream) -> TokenStream {
    let max = f == ReduceFn::Max;
    match d {
        DType::F32 if max => quote!(#v.is_nan() || #v > #a),
        DType::F32 => quote!(#v.is_nan() || #v < #a),
        DType::Bool if max => quote!(#v & !#a),
        DType::Bool => quote!(!#v & #a),
        _ if max => quote!(#v > #a),
        _ => quote!(#v < #a),
    }
}

/// When a new element takes over in `argmax`/`argmin` and `max.dim`/`min.dim`:
/// once a NaN is held it stays; the first of equal values stays.
fn arg_wins(f: ReduceFn, d: DType) -> TokenStream {
    let held = if d.is_float() { quote!(!a.0.is_nan() &&) } else { quote!() };
    match f {
        // argmax: `!(v <= a)`, which a NaN `v` also passes.
        ReduceFn::ArgMax if d.is_float() => quote!(#held !(v <= a.0)),
        ReduceFn::ArgMin if d.is_float() => quote!(#held !(v >= a.0)),
        ReduceFn::ArgMax => quote!(v > a.0),
        ReduceFn::ArgMin => quote!(v < a.0),
        _ if d.is_float() => {
            let w = wins(f, d, quote!(v), quote!(a.0));
            quote!(#held (#w))
        }
        _ => wins(f, d, quote!(v), quote!(a.0)),
    }
}

fn mask(rank: usize, dims: &[usize]) -> TokenStream {
    let flags = (0..rank).map(|d| if dims.contains(&d) { quote!(true) } else { quote!(false) });
    quote!([#(#flags),*])
}

pub fn var(shape: &[usize], dims: &[usize], correction: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out, mask, shape) = (&r[0], &w[0], mask(shape.len(), dims), list(shape));
    let c = proc_macro2::Literal::f64_suffixed(correction);
    quote!(::etch_kernels::reduce::dims::variance(#x, &#shape, &#mask, #out, #c);)
}

/// `x` viewed as `[lead, size, trail]` around `dim`.
fn around(shape: &[usize], dim: usize) -> [proc_macro2::Literal; 3] {
    let lead = shape[..dim].iter().product();
    let size = shape.get(dim).copied().unwrap_or(1);
    let trail = shape.get(dim + 1..).map_or(1, |s| s.iter().product());
    [lit(lead), lit(size), lit(trail)]
}

pub fn cumsum(shape: &[usize], dim: usize, din: DType, dout: DType, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let [lead, size, trail] = around(shape, dim);
    let t = format_ident!("{}", din.rust());
    let cast = convert(quote!(v), din, dout);
    let o = format_ident!("{}", dout.rust());
    let add = if dout.is_float() { quote!(|a: #o, b: #o| a + b) } else { quote!(|a: #o, b: #o| a.wrapping_add(b)) };
    quote!(::etch_kernels::reduce::dims::cumsum(#x, #out, #lead, #size, #trail, |v: #t| #cast, #add);)
}

pub fn topk(shape: &[usize], dim: usize, k: usize, largest: bool, d: DType, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, values, indices) = (&r[0], &w[0], &w[1]);
    let [lead, size, trail] = around(shape, dim);
    let t = format_ident!("{}", d.rust());
    // ExecuTorch orders NaN above every number.
    let before = match (d.is_float(), largest) {
        (true, true) => quote!(|a: #t, b: #t| (a.is_nan() && !b.is_nan()) || a > b),
        (true, false) => quote!(|a: #t, b: #t| (!a.is_nan() && b.is_nan()) || a < b),
        (false, true) => quote!(|a: #t, b: #t| a > b),
        (false, false) => quote!(|a: #t, b: #t| a < b),
    };
    let k = lit(k);
    quote!(::etch_kernels::reduce::dims::topk(#x, #values, #indices, #lead, #size, #trail, #k, #before);)
}
