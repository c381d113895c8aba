use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;

/// One block copy per part; empty parts are skipped, as PyTorch does.
pub fn emit(dim: usize, parts: &[Vec<usize>], out: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let outer: usize = out[..dim].iter().product();
    let inner: usize = out[dim + 1..].iter().product();
    let o = &w[0];
    let mut offset = 0;
    let mut calls = TokenStream::new();
    for (shape, x) in parts.iter().zip(r) {
        if shape.iter().product::<usize>() == 0 {
            continue;
        }
        let part = shape[dim] * inner;
        let (outer_l, part_l, out_l, off_l) = (lit(outer), lit(part), lit(out[dim] * inner), lit(offset));
        calls.extend(quote!(::etch_kernels::shape::layout::concat_part(#x, #o, #outer_l, #part_l, #out_l, #off_l);));
        offset += part;
    }
    calls
}
