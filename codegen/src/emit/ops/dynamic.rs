//! Ops on values of runtime size whose kernel takes its shape as arguments.
//! Elementwise ops need nothing here: their operands are already cut to the
//! runtime length.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::dims::{self, Dim};
use crate::emit::{f32_lit, lit};
use crate::ir::{Method, Node, Op};

/// The call for a node that touches a runtime size, where it differs from the static one.
pub fn emit(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> Option<TokenStream> {
    if !node.inputs.iter().chain(&node.outputs).any(|&v| m.dynamic.is_dynamic(v)) {
        return None;
    }
    let out = node.outputs[0];
    Some(match &node.op {
        Op::Addmm { beta, alpha } => {
            let (bias, a, wt) = (node.inputs[0], node.inputs[1], node.inputs[2]);
            let (rows, k, n) = mkn(m, a, wt);
            let bd = dims::dims(m, bias);
            let col = if bd.last().is_some_and(|d| !matches!(d, Dim::Static(1))) { 1 } else { 0 };
            let row = if bd.len() == 2 && !matches!(bd[0], Dim::Static(1)) { m.values[bias].ty.shape[1] } else { 0 };
            let (b, x, y, o) = (&r[0], &r[1], &r[2], &w[0]);
            let (row, col, beta, alpha) = (lit(row), lit(col), f32_lit(*beta), f32_lit(*alpha));
            quote!(::etch_kernels::matmul::linear::addmm(#o, #b, [#row, #col], #x, #y, #rows, #k, #n, #beta, #alpha);)
        }
        Op::Mm => {
            let (rows, k, n) = mkn(m, node.inputs[0], node.inputs[1]);
            let (x, y, o) = (&r[0], &r[1], &w[0]);
            quote!(::etch_kernels::matmul::linear::mm(#o, #x, #y, #rows, #k, #n);)
        }
        Op::Softmax { dim, log } => {
            let d = dims::dims(m, out);
            let (outer, size, inner) = (dims::product(&d[..*dim]), d[*dim].tokens(), dims::product(&d[dim + 1..]));
            let f = if *log { quote!(log_softmax) } else { quote!(softmax) };
            let (x, o) = (&r[0], &w[0]);
            quote!(::etch_kernels::norm::softmax::#f(#x, #o, #outer, #size, #inner);)
        }
        _ => return None,
    })
}

/// `[m, k] @ [k, n]`: `m` may be a runtime size; lowering pinned `k` and `n`.
fn mkn(m: &Method, a: usize, b: usize) -> (TokenStream, TokenStream, TokenStream) {
    let rows = dims::dims(m, a)[0].tokens();
    let k = dims::dims(m, a)[1].tokens();
    let n = dims::dims(m, b)[1].tokens();
    (rows, k, n)
}
