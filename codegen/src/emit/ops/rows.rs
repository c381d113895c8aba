//! Ops on values whose runtime dim is their rows (`[1, seq, ...]`): the
//! static kernel call of one row, in a loop over the runtime count, and
//! `SliceRows`, whose bounds are runtime scalars.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::dims::{self, Dim};
use crate::emit::lit;
use crate::ir::{Method, Node, Op};

/// The ops lowering lets run row by row (`lower/dynamic.rs`, `rows_of_one_size`).
pub fn row_by_row(op: &Op) -> bool {
    matches!(
        op,
        Op::Gather { .. }
            | Op::Concat { .. }
            | Op::Mean { .. }
            | Op::Reduce { .. }
            | Op::Any { .. }
            | Op::IndexSelect {
                embedding: true,
                ..
            }
    )
}

/// `m` with every runtime dim set to 1: the shapes of one row.
pub fn one_row(m: &Method) -> Method {
    let mut row = m.clone();
    for (&v, ds) in &m.dynamic.dims {
        for (d, s) in ds.iter().enumerate() {
            if s.is_some() {
                row.values[v].ty.shape[d] = 1;
            }
        }
    }
    row.dynamic = Default::default();
    row
}

/// A loop over the rows of a node's runtime-sized operands, each step the
/// static call on one row; `call` emits it for `one_row(m)`.
pub fn emit(
    m: &Method,
    node: &Node,
    r: &[TokenStream],
    w: &[TokenStream],
    call: impl Fn(&Method, &[TokenStream], &[TokenStream]) -> TokenStream,
) -> TokenStream {
    let row = one_row(m);
    let mut count = None;
    let mut bind = TokenStream::new();
    let mut step = TokenStream::new();
    let mut per =
        |v: usize, src: &TokenStream, name: proc_macro2::Ident, write: bool| -> TokenStream {
            if !m.dynamic.is_dynamic(v) {
                return src.clone();
            }
            if let Some(Dim::Sym(s)) = dims::dims(m, v).into_iter().find(|d| matches!(d, Dim::Sym(_))) {
                count.get_or_insert_with(|| quote!(#s));
            }
            let n = lit(row.values[v].ty.numel());
            let whole = format_ident!("{name}_all");
            bind.extend(quote!(let #whole = #src;));
            step.extend(if write {
                quote!(let #name = ::etch_kernels::dynamic::row_mut(&mut *#whole, row, #n);)
            } else {
                quote!(let #name = ::etch_kernels::dynamic::row(#whole, row, #n);)
            });
            quote!(#name)
        };
    let reads: Vec<TokenStream> = node
        .inputs
        .iter()
        .zip(r)
        .enumerate()
        .map(|(i, (&v, src))| per(v, src, format_ident!("row_r{i}"), false))
        .collect();
    let writes: Vec<TokenStream> = node
        .outputs
        .iter()
        .zip(w)
        .enumerate()
        .map(|(j, (&v, src))| per(v, src, format_ident!("row_w{j}"), true))
        .collect();
    let body = call(&row, &reads, &writes);
    let count = count.unwrap_or_else(|| quote!(1));
    quote! {
        {
            #bind
            for row in 0..#count {
                #step
                #body
            }
        }
    }
}

/// Inputs `[x]` or `[x, pos]`: rows of `x` from a runtime start.
pub fn slice_rows(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let Op::SliceRows {
        dim,
        offset,
        pos,
        from_end,
    } = node.op
    else {
        return TokenStream::new();
    };
    let (x, out) = (node.inputs[0], node.outputs[0]);
    let xd = dims::dims(m, x);
    let size = xd[dim].tokens();
    let len = dims::dims(m, out)[dim].tokens();
    let inner = lit(m.values[x].ty.shape[dim + 1..].iter().product::<usize>());
    let (xr, o) = (&r[0], &w[0]);
    let p = if pos {
        let p = &r[1];
        quote!(Some(#p))
    } else {
        quote!(None)
    };
    quote!(::etch_kernels::dynamic::slice_rows(#xr, #p, #o, #offset, #from_end, #len, #size, #inner)?;)
}
