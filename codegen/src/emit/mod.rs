//! IR → Rust source: `quote!` builds the tokens, prettyplease prints them once.

mod dims;
mod int8_entry;
pub use int8_entry::int8_input;
mod method;
pub use method::COMMENT;
mod operands;
mod ops;
mod weights;

use std::collections::BTreeMap;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use crate::error::{Error, Result};
use crate::ir::{DType, Graph, Storage, ValueId};
use crate::passes::{plan, Plan};

pub use weights::Weights;

/// A method's value offsets, inside pools sized for every method.
pub struct Layout {
    pub offsets: BTreeMap<ValueId, usize>,
    pub pools: BTreeMap<DType, usize>,
}

/// How the generated code finds the weight blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightsPath {
    /// A path `include_bytes!` resolves relative to the generated file.
    Relative(String),
    /// A file name inside `OUT_DIR` (build scripts).
    OutDir(String),
    /// An absolute path, e.g. from a proc-macro.
    Absolute(String),
}

pub struct Emitted {
    pub source: String,
    pub weights: Vec<u8>,
    /// Scratch bytes: each dtype pool is as large as the largest method needs.
    pub arena_bytes: usize,
}

/// Prints the whole model module. `header` goes first, verbatim (the stamp).
pub fn emit(graph: &Graph, plans: &[Plan], weights_path: &WeightsPath, header: &str) -> Result<Emitted> {
    let mut pools: BTreeMap<DType, usize> = BTreeMap::new();
    for p in plans {
        for (&d, &n) in &p.pools {
            let e = pools.entry(d).or_insert(0);
            *e = (*e).max(n);
        }
    }
    let blob = weights::layout(graph);
    let weight_items = blob.items(graph, weights_path);

    // Pools ending on a cache line go first, so every one of them starts on one.
    let mut order: Vec<(DType, usize)> = pools.iter().map(|(&d, &n)| (d, n)).collect();
    order.sort_by_key(|&(d, n)| (d.size() * n % plan::LINE != 0, d));
    let fields: Vec<TokenStream> = order
        .iter()
        .map(|&(d, n)| {
            let (f, ty, n) = (operands::field(d), format_ident!("{}", d.rust()), lit(n));
            quote!(#f: [#ty; #n])
        })
        .collect();
    let inits: Vec<TokenStream> = order
        .iter()
        .map(|&(d, n)| {
            let (f, zero, n) = (operands::field(d), zero(d), lit(n));
            quote!(#f: [#zero; #n])
        })
        .collect();
    let (state_fields, state_inits, state_resets) = states(graph);
    let (model_doc, new_doc) = if state_fields.is_empty() {
        (" The compiled program: scratch memory for every method.", " A model with zeroed scratch memory.")
    } else {
        (
            " The compiled program: scratch memory for every method, and the program's mutable state (a KV cache), which persists across calls.",
            " A model with zeroed scratch memory and its state at the initial value.",
        )
    };
    // Only a program with state has something to reset.
    let reset = (!state_resets.is_empty()).then(|| {
        quote! {
            /// Restores the mutable state to its initial value, as in a new model.
            pub fn reset(&mut self) {
                #(#state_resets)*
            }
        }
    });
    let methods: Vec<TokenStream> = graph
        .methods
        .iter()
        .zip(plans)
        .map(|(m, p)| {
            let layout = Layout { offsets: p.offsets.clone(), pools: pools.clone() };
            let int8 = int8_entry::emit(m, &layout);
            let f = method::emit(m, &layout);
            quote!(#f #int8)
        })
        .collect();
    let (meta_items, meta_methods): (Vec<_>, Vec<_>) = graph.metadata.iter().map(|m| (m.item(), m.method())).unzip();
    let total_arena: usize = pools.iter().map(|(d, n)| d.size() * n).sum();
    let arena_bytes = lit(total_arena);
    let weight_bytes = lit(blob.bytes.len());

    let tokens = quote! {
        /// Bytes of scratch memory inside [`Model`], planned at compile time.
        pub const ARENA_BYTES: usize = #arena_bytes;
        /// Bytes of weights, kept in read-only memory.
        pub const WEIGHT_BYTES: usize = #weight_bytes;

        #weight_items

        #(#meta_items)*

        #[doc = #model_doc]
        ///
        /// `new` is a `const fn`, so a model can live in a `static`.
        // Cache-line aligned, so tensors planned at 64-byte offsets start
        // on a line and two threads' halves of an output don't share one.
        #[repr(C, align(64))]
        pub struct Model {
            #(#fields,)*
            #(#state_fields,)*
        }

        impl Model {
            #[doc = #new_doc]
            pub const fn new() -> Self {
                Self { #(#inits,)* #(#state_inits,)* }
            }

            #reset

            #(#meta_methods)*

            #(#methods)*
        }

        impl Default for Model {
            fn default() -> Self {
                Self::new()
            }
        }
    };
    let source = unparse(tokens)?;
    Ok(Emitted { source: format!("{header}{source}"), weights: blob.bytes, arena_bytes: total_arena })
}

/// Formats items with prettyplease; `#[doc = "{COMMENT}text"]` attributes
/// (how `quote!` carries a comment) become `// text` lines.
pub fn unparse(tokens: TokenStream) -> Result<String> {
    // Tokens come from quote! over validated IR: a failure here is an etch bug.
    let file: syn::File = syn::parse2(tokens).map_err(|e| Error::Internal(format!("emitted invalid Rust: {e}")))?;
    let marker = format!("///{}", method::COMMENT);
    Ok(prettyplease::unparse(&file)
        .lines()
        .map(|line| match line.trim_start().strip_prefix(&marker) {
            Some(text) => format!("{}// {text}\n", &line[..line.len() - line.trim_start().len()]),
            None => format!("{line}\n"),
        })
        .collect())
}

/// Per state value: its field, its initialiser in `new`, its statement in `reset`.
fn states(graph: &Graph) -> (Vec<TokenStream>, Vec<TokenStream>, Vec<TokenStream>) {
    let (mut fields, mut inits, mut resets) = (Vec::new(), Vec::new(), Vec::new());
    for m in &graph.methods {
        for (id, v) in m.values.iter().enumerate() {
            let Storage::State { init } = v.storage else { continue };
            let f = operands::state_field(m, id);
            let (ty, n) = (format_ident!("{}", v.ty.dtype.rust()), lit(v.ty.numel()));
            let doc = format!(" State {:?} of `{}` (value {} of the program).", v.ty.shape, m.name, v.source.unwrap_or(id));
            fields.push(quote!(#[doc = #doc] #f: [#ty; #n]));
            match init {
                Some(c) => {
                    let w = operands::weight(c);
                    inits.push(quote!(#f: *#w));
                    resets.push(quote!(self.#f = *#w;));
                }
                None => {
                    let z = zero(v.ty.dtype);
                    inits.push(quote!(#f: [#z; #n]));
                    resets.push(quote!(self.#f.fill(#z);));
                }
            }
        }
    }
    (fields, inits, resets)
}

/// An unsuffixed integer literal.
pub fn lit(n: usize) -> Literal {
    Literal::usize_unsuffixed(n)
}

/// An `f32` expression for `v`, spelling out the non-finite values.
pub fn f32_lit(v: f64) -> TokenStream {
    let v = v as f32;
    if v.is_nan() {
        quote!(f32::NAN)
    } else if v == f32::INFINITY {
        quote!(f32::INFINITY)
    } else if v == f32::NEG_INFINITY {
        quote!(f32::NEG_INFINITY)
    } else {
        let l = Literal::f32_suffixed(v);
        quote!(#l)
    }
}

/// A literal of `dtype` for `v` (truncating like a C++ cast).
pub fn scalar_lit(v: f64, dtype: DType) -> TokenStream {
    match dtype {
        DType::F32 => f32_lit(v),
        DType::I64 => {
            let l = Literal::i64_suffixed(v as i64);
            quote!(#l)
        }
        DType::I32 => {
            let l = Literal::i32_suffixed(v as i32);
            quote!(#l)
        }
        DType::I8 => {
            let l = Literal::i8_suffixed(v as i8);
            quote!(#l)
        }
        DType::U8 => {
            let l = Literal::u8_suffixed(v as u8);
            quote!(#l)
        }
        DType::Bool => {
            if v != 0.0 {
                quote!(true)
            } else {
                quote!(false)
            }
        }
    }
}

fn zero(d: DType) -> TokenStream {
    scalar_lit(0.0, d)
}

/// `[a, b, c]` as a usize array expression.
pub fn list(items: &[usize]) -> TokenStream {
    let items = items.iter().map(|&n| lit(n));
    quote!([#(#items),*])
}
