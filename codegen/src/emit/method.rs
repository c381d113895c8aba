//! One `pub fn` per method: typed inputs in, references into the arena out.
//!
//! A method with bounded dynamic inputs takes them as slices plus one `usize`
//! per runtime size, checks both before touching anything, and returns a
//! `Result`; a static method takes arrays and cannot fail.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::dims::{self, sym_ident};
use super::operands::{field, operands, place, weight, Place};
use super::{lit, ops, Layout};
use crate::ir::Method;

/// Doc lines with this prefix become plain `//` comments after printing:
/// quote cannot emit comments, and doc comments on statements warn.
pub const COMMENT: &str = " @comment ";

pub fn emit(method: &Method, layout: &Layout) -> TokenStream {
    emit_with_doc(method, layout, signature_doc(method))
}

/// As `emit`, with the given doc lines.
pub fn emit_with_doc(method: &Method, layout: &Layout, doc: Vec<String>) -> TokenStream {
    emit_with(method, layout, doc, quote!())
}

/// As `emit_with_doc`, with `extra` parameters first.
pub fn emit_with(method: &Method, layout: &Layout, doc: Vec<String>, extra: TokenStream) -> TokenStream {
    let name = crate::ident::method(&method.name);
    // An output that is (a view of) an input borrows from it: then the inputs
    // and `self` share one named lifetime, else elision ties outputs to `self`.
    let passes_input = method.passes_input();
    let (generics, life) = if passes_input { (quote!(<'a>), quote!('a)) } else { (quote!(), quote!()) };
    let params = method.inputs.iter().enumerate().map(|(k, &v)| {
        let ty = &method.values[v].ty;
        let (x, elem, n) = (format_ident!("x{k}"), format_ident!("{}", ty.dtype.rust()), lit(ty.numel()));
        if method.dynamic.is_dynamic(v) {
            quote!(#x: &#life [#elem])
        } else {
            quote!(#x: &#life [#elem; #n])
        }
    });
    let seed = method.random().then(|| quote!(seed: u64));
    let sizes = method.dynamic.syms.iter().map(|s| {
        let s = sym_ident(s);
        quote!(#s: usize)
    }).chain(seed);
    let (ret_types, rets): (Vec<_>, Vec<_>) = method.outputs.iter().map(|&v| output(method, layout, v, &life)).unzip();
    let (mut ret_ty, mut ret) = if rets.len() == 1 {
        (ret_types[0].clone(), rets[0].clone())
    } else {
        (quote!((#(#ret_types),*)), quote!((#(#rets),*)))
    };
    let checks = checks(method);
    // Row counts of data-dependent outputs, set by their ops.
    let counts = method.counted().into_iter().map(|v| {
        let rows = dims::rows_ident(v);
        quote!(let #rows: usize;)
    });
    let checks = quote!(#checks #(#counts)*);
    if method.fallible() {
        ret_ty = quote!(Result<#ret_ty, ::etch_kernels::Error>);
        ret = quote!(Ok(#ret));
    }
    let body = method.nodes.iter().map(|node| {
        let o = operands(method, layout, node);
        let call = ops::emit(method, node, &o);
        let prelude = o.prelude;
        let comment = format!("{COMMENT}instruction {}: {}", node.instruction, node.op.name());
        quote! {
            #[doc = #comment]
            {
                #prelude
                #call
            }
        }
    });
    quote! {
        #(#[doc = #doc])*
        pub fn #name #generics (&#life mut self, #extra #(#params,)* #(#sizes),*) -> #ret_ty {
            #checks
            #(#body)*
            #ret
        }
    }
}

/// Every runtime size within its bound, then every slice of the length its sizes give.
fn checks(method: &Method) -> TokenStream {
    let dims = method.dynamic.syms.iter().map(|s| {
        let (id, input, dim, bound) = (sym_ident(s), lit(s.input), lit(s.dim), lit(s.bound));
        quote!(::etch_kernels::dynamic::check_dim(#input, #dim, #id, #bound)?;)
    });
    let lens = method.inputs.iter().enumerate().filter(|(_, &v)| method.dynamic.is_dynamic(v)).map(|(k, &v)| {
        let (x, n, k) = (format_ident!("x{k}"), dims::numel(method, v), lit(k));
        quote!(::etch_kernels::dynamic::check_len(#k, #x.len(), #n)?;)
    });
    quote!(#(#dims)* #(#lens)*)
}

/// The return type and expression of one output: a window of its storage,
/// cut to the runtime length when it has one.
fn output(method: &Method, layout: &Layout, v: usize, life: &TokenStream) -> (TokenStream, TokenStream) {
    let ty = &method.values[v].ty;
    let (elem, n) = (format_ident!("{}", ty.dtype.rust()), lit(ty.numel()));
    let root_len = method.values[method.root(v).0].ty.numel();
    let (base, total, offset) = match place(method, layout, v) {
        Place::Input(k, off) => {
            let x = format_ident!("x{k}");
            (quote!(#x), root_len, off)
        }
        Place::Const(c, off) => {
            let w = weight(c);
            (quote!(#w), root_len, off)
        }
        Place::Arena(d, off) => {
            let f = field(d);
            (quote!(&self.#f), layout.pools.get(&d).copied().unwrap_or(0), off)
        }
        Place::State(f, off) => (quote!(&self.#f), root_len, off),
    };
    let (total, offset) = (lit(total), lit(offset));
    let window = quote!(::etch_kernels::arena::window::<#elem, #total, #offset, #n>(#base));
    if method.counted().contains(&v) {
        let (rows, per) = (dims::rows_ident(v), lit(ty.shape[1..].iter().product()));
        return (quote!(&#life [#elem]), quote!(::etch_kernels::dynamic::head(#window, #rows * #per)));
    }
    if method.dynamic.is_dynamic(v) {
        let len = dims::numel(method, v);
        return (quote!(&#life [#elem]), quote!(::etch_kernels::dynamic::head(#window, #len)));
    }
    (quote!(&#life [#elem; #n]), window)
}

fn signature_doc(method: &Method) -> Vec<String> {
    let mut doc = vec![format!(" Runs the `{}` method of the program.", method.name), String::new()];
    let shape = |v: usize| {
        let d: Vec<String> = dims::dims(method, v).iter().map(|d| d.tokens().to_string()).collect();
        format!("[{}]", d.join(", "))
    };
    for (k, &v) in method.inputs.iter().enumerate() {
        let ty = &method.values[v].ty;
        doc.push(format!(" - `x{k}`: input {k}, {} of shape {}, row-major", ty.dtype, shape(v)));
    }
    for s in &method.dynamic.syms {
        doc.push(format!(" - `{}`: the runtime size of dim {} of input {}, at most {}", sym_ident(s), s.dim, s.input, s.bound));
    }
    for (k, &v) in method.outputs.iter().enumerate() {
        let ty = &method.values[v].ty;
        if method.counted().contains(&v) {
            let rest: Vec<String> = ty.shape[1..].iter().map(usize::to_string).collect();
            doc.push(format!(" - returns output {k}: {} rows of [{}], as many as the data gives (at most {})", ty.dtype, rest.join(", "), ty.shape[0]));
            continue;
        }
        doc.push(format!(" - returns output {k}: {} of shape {}", ty.dtype, shape(v)));
    }
    if !method.dynamic.syms.is_empty() {
        doc.push(String::new());
        doc.push(" Buffers are planned at the bounds; a larger size or a slice of the wrong".into());
        doc.push(" length returns an [`::etch_kernels::Error`] before anything runs.".into());
    }
    if method.random() {
        doc.push(" - `seed`: where `rand`/`randn` start; the same seed gives the same values".into());
        doc.push("   (ExecuTorch seeds them from the system, so its values differ on every call)".into());
    }
    if method.nodes.iter().any(|n| method.checks_divisor(n)) {
        doc.push(String::new());
        doc.push(" An integer division or remainder by zero returns an [`::etch_kernels::Error`],".into());
        doc.push(" as ExecuTorch fails the call; outputs are then unspecified.".into());
    }
    if method.nodes.iter().any(|n| method.checks_index(n)) {
        doc.push(String::new());
        doc.push(" An index read from the data out of range returns an [`::etch_kernels::Error`]".into());
        doc.push(" naming the op and the index, as ExecuTorch fails the call; outputs are then unspecified.".into());
    }
    doc
}
