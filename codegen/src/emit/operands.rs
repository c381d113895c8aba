//! Where a node's operands live, as Rust expressions.
//!
//! Each pool a node writes is split around its output windows into disjoint
//! slices (gap, window, gap, window, …, gap): the borrow checker sees them
//! apart, and inputs in that pool are read from the gaps.

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
    // pool → output windows (output index, start, end), sorted by start
    let mut windows: BTreeMap<DType, Vec<(usize, usize, usize)>> = BTreeMap::new();
    for (j, &o) in node.outputs.iter().enumerate() {
        if let Place::Arena(dtype, start) = place(method, layout, o) {
            windows.entry(dtype).or_default().push((j, start, start + method.values[o].ty.numel()));
        }
    }
    windows.values_mut().for_each(|w| w.sort_by_key(|&(_, start, _)| start));
    // pool → gaps (ident, start, end) between the windows
    let gaps: BTreeMap<DType, Vec<(Ident, usize, usize)>> = windows
        .iter()
        .map(|(&d, w)| {
            let total = layout.pools.get(&d).copied().unwrap_or(0);
            let mut edges = vec![0];
            w.iter().for_each(|&(_, s, e)| edges.extend([s, e]));
            edges.push(total);
            let gaps = edges.chunks_exact(2).enumerate().map(|(g, p)| (format_ident!("{}_{g}", d.rust()), p[0], p[1])).collect();
            (d, gaps)
        })
        .collect();

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
                Place::Arena(dtype, off) => {
                    let gap = gaps.get(&dtype).and_then(|g| g.iter().find(|(_, s, e)| *s <= off && off + len <= *e));
                    match gap {
                        Some((name, start, _)) => {
                            used.push(name.clone());
                            slice(name, off - start, len)
                        }
                        None => {
                            let f = field(dtype);
                            let (a, b) = (lit(off), lit(off + len));
                            quote!(&self.#f[#a..#b])
                        }
                    }
                }
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
    for (dtype, w) in &windows {
        // Unread gaps are bound to `_` to keep the generated code warning-free.
        let name = |g: usize| {
            let id = format_ident!("{}_{g}", dtype.rust());
            if used.contains(&id) { quote!(#id) } else { quote!(_) }
        };
        let (f, ty) = (field(*dtype), format_ident!("{}", dtype.rust()));
        let total = lit(layout.pools.get(dtype).copied().unwrap_or(0));
        let mut rest = quote!(&mut self.#f);
        let mut cursor = 0;
        for (g, &(j, start, end)) in w.iter().enumerate() {
            let (out, gap) = (format_ident!("out{j}"), name(g));
            let (s, n) = (lit(start - cursor), lit(end - start));
            let tail = format_ident!("rest_{}_{g}", dtype.rust());
            let split = if g == 0 {
                quote!(::etch_kernels::arena::split_out::<#ty, #total, #s, #n>(#rest))
            } else {
                quote!(::etch_kernels::arena::split_rest(#rest, #s, #n))
            };
            let last = g + 1 == w.len();
            let tail_pat = if last { name(g + 1) } else { quote!(#tail) };
            prelude.extend(quote!(let (#gap, #out, #tail_pat) = #split;));
            rest = quote!(#tail);
            cursor = end;
            writes.push((j, quote!(#out)));
        }
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
