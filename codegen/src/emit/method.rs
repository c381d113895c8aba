//! One `pub fn` per method: typed inputs in, references into the arena out.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::operands::{field, operands, place, weight, Place};
use super::{lit, ops, Layout};
use crate::ir::Method;

/// Doc lines with this prefix become plain `//` comments after printing:
/// quote cannot emit comments, and doc comments on statements warn.
pub const COMMENT: &str = " @comment ";

pub fn emit(method: &Method, layout: &Layout) -> TokenStream {
    let name = crate::ident::method(&method.name);
    let params = method.inputs.iter().enumerate().map(|(k, &v)| {
        let ty = &method.values[v].ty;
        let (x, elem, n) = (format_ident!("x{k}"), format_ident!("{}", ty.dtype.rust()), lit(ty.numel()));
        quote!(#x: &[#elem; #n])
    });
    let (ret_types, rets): (Vec<_>, Vec<_>) = method.outputs.iter().map(|&v| output(method, layout, v)).unzip();
    let (ret_ty, ret) = if rets.len() == 1 {
        (ret_types[0].clone(), rets[0].clone())
    } else {
        (quote!((#(#ret_types),*)), quote!((#(#rets),*)))
    };
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
    let doc = signature_doc(method);
    quote! {
        #(#[doc = #doc])*
        pub fn #name(&mut self, #(#params),*) -> #ret_ty {
            #(#body)*
            #ret
        }
    }
}

/// The return type and expression of one output: a window of its storage.
fn output(method: &Method, layout: &Layout, v: usize) -> (TokenStream, TokenStream) {
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
    };
    let (total, offset) = (lit(total), lit(offset));
    let expr = quote!(::etch_kernels::arena::window::<#elem, #total, #offset, #n>(#base));
    (quote!(&[#elem; #n]), expr)
}

fn signature_doc(method: &Method) -> Vec<String> {
    let mut doc = vec![format!(" Runs the `{}` method of the program.", method.name), String::new()];
    for (k, &v) in method.inputs.iter().enumerate() {
        let ty = &method.values[v].ty;
        doc.push(format!(" - `x{k}`: input {k}, {} of shape {:?}, row-major", ty.dtype, ty.shape));
    }
    for (k, &v) in method.outputs.iter().enumerate() {
        let ty = &method.values[v].ty;
        doc.push(format!(" - returns output {k}: {} of shape {:?}", ty.dtype, ty.shape));
    }
    doc
}
