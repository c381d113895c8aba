//! Where a node's operands live, as Rust expressions.
//!
//! Each pool a node writes is split once into the part before the output,
//! the output, and the part after: the borrow checker then sees disjoint
//! slices, and inputs in that pool are read from the two outer parts.

use std::collections::BTreeMap;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{lit, Layout};
use crate::ir::{DType, Method, Node, Storage, ValueId};

pub struct Operands {
    /// `let` bindings that split the pools this node writes.
    pub prelude: TokenStream,
    /// One slice expression per input, in node order.
    pub reads: Vec<TokenStream>,
    /// One `&mut` slice binding per output, in node order.
    pub writes: Vec<TokenStream>,
}

/// A value resolved to its root storage.
pub enum Place {
    Input(usize, usize),
    Const(usize, usize),
    Arena(DType, usize),
}

pub fn place(method: &Method, layout: &Layout, v: ValueId) -> Place {
    let (root, offset) = method.root(v);
    match method.values[root].storage {
        Storage::Input(k) => Place::Input(k, offset),
        Storage::Const(c) => Place::Const(c, offset),
        // The planner placed every arena root that is still used.
        _ => Place::Arena(method.values[root].ty.dtype, layout.offsets.get(&root).copied().unwrap_or(0) + offset),
    }
}

pub fn operands(method: &Method, layout: &Layout, node: &Node) -> Operands {
    // pool → (output index, output start, output end)
    let mut split: BTreeMap<DType, (usize, usize, usize)> = BTreeMap::new();
    for (j, &o) in node.outputs.iter().enumerate() {
        if let Place::Arena(dtype, start) = place(method, layout, o) {
            split.insert(dtype, (j, start, start + method.values[o].ty.numel()));
        }
    }
    let mut used = Vec::new();
    let reads = node
        .inputs
        .iter()
        .map(|&v| {
            let len = method.values[v].ty.numel();
            match place(method, layout, v) {
                Place::Input(k, off) => slice(&format_ident!("x{k}"), off, len),
                Place::Const(c, off) => slice(&weight(c), off, len),
                Place::Arena(dtype, off) => match split.get(&dtype) {
                    Some(&(j, start, _)) if off + len <= start => {
                        let lo = format_ident!("lo{j}");
                        used.push(lo.clone());
                        slice(&lo, off, len)
                    }
                    Some(&(j, _, end)) => {
                        let hi = format_ident!("hi{j}");
                        used.push(hi.clone());
                        slice(&hi, off.saturating_sub(end), len)
                    }
                    None => {
                        let f = field(dtype);
                        let (a, b) = (lit(off), lit(off + len));
                        quote!(&self.#f[#a..#b])
                    }
                },
            }
        })
        .collect();

    let mut prelude = TokenStream::new();
    let mut writes = Vec::new();
    for (dtype, (j, start, end)) in split {
        let out = format_ident!("out{j}");
        // Unused halves are bound to `_` to keep the generated code warning-free.
        let part = |name: Ident| if used.contains(&name) { quote!(#name) } else { quote!(_) };
        let (lo, hi) = (part(format_ident!("lo{j}")), part(format_ident!("hi{j}")));
        let (f, ty) = (field(dtype), format_ident!("{}", dtype.rust()));
        let total = lit(layout.pools.get(&dtype).copied().unwrap_or(0));
        let (s, n) = (lit(start), lit(end - start));
        prelude.extend(quote! {
            let (#lo, #out, #hi) = ::etch_kernels::arena::split_out::<#ty, #total, #s, #n>(&mut self.#f);
        });
        writes.push((j, quote!(#out)));
    }
    writes.sort_by_key(|(j, _)| *j);
    let writes = writes.into_iter().map(|(_, w)| w).collect();
    Operands { prelude, reads, writes }
}

fn slice(base: &Ident, off: usize, len: usize) -> TokenStream {
    let (a, b) = (lit(off), lit(off + len));
    quote!(&#base[#a..#b])
}

pub fn field(dtype: DType) -> Ident {
    format_ident!("arena_{}", dtype.rust())
}

pub fn weight(c: usize) -> Ident {
    format_ident!("W{c}")
}
