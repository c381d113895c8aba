//! Where a node's operands live, as Rust expressions.
//!
//! Each pool a node writes is split once into the part before the output,
//! the output, and the part after: the borrow checker then sees disjoint
//! slices, and inputs in that pool are read from the two outer parts.

use std::collections::BTreeMap;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{dims, lit, Layout};
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
    /// A state field of `Model`, and an element offset in it.
    State(Ident, usize),
}

pub fn place(method: &Method, layout: &Layout, v: ValueId) -> Place {
    let (root, offset) = method.root(v);
    match method.values[root].storage {
        Storage::Input(k) => Place::Input(k, offset),
        Storage::Const(c) => Place::Const(c, offset),
        Storage::State { .. } => Place::State(state_field(method, root), offset),
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
            let read = match place(method, layout, v) {
                // A runtime-sized input is a slice of that size: no static window.
                Place::Input(k, off) if method.dynamic.is_dynamic(v) => {
                    let (x, n) = (format_ident!("x{k}"), dims::numel(method, v));
                    let x = if off == 0 { quote!(#x) } else { quote!(#x.get(#off..).unwrap_or(&[])) };
                    return quote!(::etch_kernels::dynamic::head(#x, #n));
                }
                Place::Input(k, off) => slice(&format_ident!("x{k}"), off, len),
                Place::State(f, off) => {
                    let (a, b) = (lit(off), lit(off + len));
                    quote!(&self.#f[#a..#b])
                }
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
            };
            runtime_len(method, v, read, false)
        })
        .collect();

    let mut prelude = TokenStream::new();
    let mut writes = Vec::new();
    for (j, &o) in node.outputs.iter().enumerate() {
        if let Place::State(f, off) = place(method, layout, o) {
            let (out, a, b) = (format_ident!("out{j}"), lit(off), lit(off + method.values[o].ty.numel()));
            prelude.extend(quote!(let #out = &mut self.#f[#a..#b];));
            writes.push((j, quote!(#out)));
        }
    }
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
    let writes = writes.into_iter().map(|(j, w)| runtime_len(method, node.outputs[j], w, true)).collect();
    Operands { prelude, reads, writes }
}

/// A value of runtime size: the part of its bound-sized window it fills.
fn runtime_len(method: &Method, v: ValueId, window: TokenStream, write: bool) -> TokenStream {
    if !method.dynamic.is_dynamic(v) {
        return window;
    }
    let n = dims::numel(method, v);
    if write {
        quote!(::etch_kernels::dynamic::head_mut(#window, #n))
    } else {
        quote!(::etch_kernels::dynamic::head(#window, #n))
    }
}

/// The `Model` field of a state value: `{method}_state{k}`, numbered in value order.
pub fn state_field(method: &Method, root: ValueId) -> Ident {
    let k = method.values[..root].iter().filter(|v| matches!(v.storage, Storage::State { .. })).count();
    format_ident!("{}_state{k}", crate::ident::method(&method.name).to_string().trim_end_matches('_'))
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
