//! One aligned blob for every weight the methods still read, plus a typed
//! `static` view into it per weight.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{lit, operands::weight, WeightsPath};
use crate::ir::{DType, Graph, Storage};
use crate::passes::plan::ALIGN;

pub struct Weights {
    pub bytes: Vec<u8>,
    /// (constant id, byte offset) of every weight in the blob.
    pub entries: Vec<(usize, usize)>,
}

/// Lays out the constants that some method still reads, in id order.
pub fn layout(graph: &Graph) -> Weights {
    let mut used = BTreeSet::new();
    for m in &graph.methods {
        for node in &m.nodes {
            for &v in &node.inputs {
                if let Storage::Const(c) = m.values[m.root(v).0].storage {
                    used.insert(c);
                }
            }
        }
        // Initial values of state, copied in by `new` and `reset`.
        for v in &m.values {
            if let Storage::State { init: Some(c) } = v.storage {
                used.insert(c);
            }
        }
        for &v in &m.outputs {
            if let Storage::Const(c) = m.values[m.root(v).0].storage {
                used.insert(c);
            }
        }
    }
    let mut bytes = Vec::new();
    let mut entries = Vec::new();
    for c in used {
        bytes.resize(bytes.len().next_multiple_of(ALIGN), 0);
        entries.push((c, bytes.len()));
        bytes.extend_from_slice(&graph.constants[c].bytes);
    }
    Weights { bytes, entries }
}

impl Weights {
    pub fn items(&self, graph: &Graph, path: &WeightsPath) -> TokenStream {
        if self.entries.is_empty() {
            return TokenStream::new();
        }
        let len = lit(self.bytes.len());
        let include = match path {
            WeightsPath::Relative(p) | WeightsPath::Absolute(p) => quote!(include_bytes!(#p)),
            WeightsPath::OutDir(name) => {
                let name = format!("/{name}");
                quote!(include_bytes!(concat!(env!("OUT_DIR"), #name)))
            }
        };
        let views = self.entries.iter().map(|&(c, offset)| {
            let ty = &graph.constants[c].ty;
            let (name, elem) = (weight(c), format_ident!("{}", ty.dtype.rust()));
            let (offset, n) = (lit(offset), lit(ty.numel()));
            let doc = format!(" {} {:?}", ty.dtype, ty.shape);
            // Not every byte is a bool: that view checks them.
            let view = if ty.dtype == DType::Bool {
                quote!(WEIGHTS.view_bool::<#offset, #n>())
            } else {
                quote!(WEIGHTS.view::<#elem, #offset, #n>())
            };
            quote! {
                #[doc = #doc]
                static #name: &[#elem; #n] = #view;
            }
        });
        quote! {
            // The weights are little-endian, as ExecuTorch stores them.
            #[cfg(target_endian = "big")]
            compile_error!("etch-generated models need a little-endian target");

            static WEIGHTS: ::etch_kernels::weights::Blob<#len> = ::etch_kernels::weights::Blob(*#include);

            #(#views)*
        }
    }
}
