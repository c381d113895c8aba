//! `llama::update_cache` and `llama::custom_sdpa`: kernels that read the
//! cache position from the data and fail the call when it does not fit.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{f32_lit, lit};
use crate::ir::{Method, Node};

/// `?` where the position comes from the data; a weight's was checked when compiling.
fn fallible(m: &Method, node: &Node, call: TokenStream) -> TokenStream {
    if m.checks_index(node) {
        quote!(#call?;)
    } else {
        quote!(let _ = #call;)
    }
}

/// Inputs `[value, pos]`, outputs `[cache]`.
pub fn update_cache(m: &Method, node: &Node, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (v, c) = (&m.values[node.inputs[0]].ty.shape, &m.values[node.outputs[0]].ty.shape);
    // The rows may be a runtime size (a prompt of several tokens).
    let s = crate::emit::dims::dims(m, node.inputs[0])[1].tokens();
    let (b, max, row) = (lit(v[0]), lit(c[1]), lit(v[2] * v[3]));
    let (value, pos, cache) = (&r[0], &r[1], &w[0]);
    fallible(m, node, quote!(::etch_kernels::matmul::attention::update_cache(#value, #pos, #cache, #b, #s, #max, #row)))
}

/// Inputs `[q, k, v, pos]`, outputs `[out, scratch]`.
pub fn sdpa(m: &Method, node: &Node, causal: bool, scale: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (q, k) = (&m.values[node.inputs[0]].ty.shape, &m.values[node.inputs[1]].ty.shape);
    let seq = crate::emit::dims::dims(m, node.inputs[0])[1].tokens();
    let (batch, heads, kv_heads, dim, max) = (lit(q[0]), lit(q[2]), lit(k[2]), lit(q[3]), lit(k[1]));
    let scale = f32_lit(scale);
    let (qr, kr, vr, pos, out, scratch) = (&r[0], &r[1], &r[2], &r[3], &w[0], &w[1]);
    let shape = quote! {
        ::etch_kernels::matmul::attention::Sdpa {
            batch: #batch, seq: #seq, heads: #heads, kv_heads: #kv_heads, dim: #dim, max: #max, causal: #causal, scale: #scale,
        }
    };
    fallible(m, node, quote!(::etch_kernels::matmul::attention::sdpa(#qr, #kr, #vr, #pos, #out, #scratch, #shape)))
}
