//! Shapes as Rust expressions: literals for static dims, the caller's runtime
//! sizes for bounded dynamic ones. A static method only ever sees literals.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::lit;
use crate::ir::{Method, Sym, ValueId};

/// The parameter that carries runtime size `sym`: `x{input}_dim{dim}`.
pub fn sym_ident(sym: &Sym) -> Ident {
    format_ident!("x{}_dim{}", sym.input, sym.dim)
}

/// The local holding the rows a data-dependent op found for value `v`.
pub fn rows_ident(v: ValueId) -> Ident {
    format_ident!("rows_v{v}")
}

/// One dim of `v`'s runtime shape.
#[derive(Clone)]
pub enum Dim {
    Static(usize),
    Sym(Ident),
}

impl Dim {
    pub fn tokens(&self) -> TokenStream {
        match self {
            Dim::Static(n) => {
                let n = lit(*n);
                quote!(#n)
            }
            Dim::Sym(s) => quote!(#s),
        }
    }
}

pub fn dims(m: &Method, v: ValueId) -> Vec<Dim> {
    let shape = &m.values[v].ty.shape;
    let syms = m.dynamic.dims.get(&v);
    (0..shape.len())
        .map(|d| match syms.and_then(|s| s.get(d).copied().flatten()).and_then(|k| m.dynamic.syms.get(k)) {
            Some(sym) => Dim::Sym(sym_ident(sym)),
            None => Dim::Static(shape[d]),
        })
        .collect()
}

/// The product of `dims`, with the static factors multiplied out.
pub fn product(dims: &[Dim]) -> TokenStream {
    let fixed: usize = dims.iter().map(|d| if let Dim::Static(n) = d { *n } else { 1 }).product();
    let syms: Vec<&Ident> = dims.iter().filter_map(|d| if let Dim::Sym(s) = d { Some(s) } else { None }).collect();
    let mut factors: Vec<TokenStream> = syms.iter().map(|s| quote!(#s)).collect();
    if fixed != 1 || factors.is_empty() {
        let n = lit(fixed);
        factors.push(quote!(#n));
    }
    let first = factors.remove(0);
    factors.into_iter().fold(first, |acc, f| quote!(#acc * #f))
}

/// `v`'s element count as an expression.
pub fn numel(m: &Method, v: ValueId) -> TokenStream {
    product(&dims(m, v))
}

/// `[a, b, c]`: `v`'s shape as an array expression.
pub fn shape(m: &Method, v: ValueId) -> TokenStream {
    let d = dims(m, v).iter().map(Dim::tokens).collect::<Vec<_>>();
    quote!([#(#d),*])
}

/// Strides of `v` read as `out`'s shape, as an array expression: its own
/// contiguous strides, and 0 along dims it is broadcast in.
pub fn broadcast_strides(m: &Method, v: ValueId, out: ValueId) -> TokenStream {
    let (own, rank) = (dims(m, v), m.values[out].ty.shape.len());
    let lead = rank - own.len();
    let strides = (0..rank).map(|d| match d.checked_sub(lead) {
        Some(vd) if !matches!(own[vd], Dim::Static(1)) => product(&own[vd + 1..]),
        _ => quote!(0),
    });
    quote!([#(#strides),*])
}
