use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::{lit, list};

/// A single contiguous run of dims reduces as `[outer, reduce, inner]`.
pub fn emit(shape: &[usize], dims: &[usize], r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let run = dims.windows(2).all(|p| p[1] == p[0] + 1);
    if let (true, Some(&first), Some(&last)) = (run, dims.first(), dims.last()) {
        let outer = lit(shape[..first].iter().product());
        let reduce = lit(shape[first..=last].iter().product());
        let inner = lit(shape[last + 1..].iter().product());
        return quote!(::etch_kernels::reduce::sum::mean_axis(#x, #out, #outer, #reduce, #inner););
    }
    let mask: Vec<TokenStream> = (0..shape.len()).map(|d| if dims.contains(&d) { quote!(true) } else { quote!(false) }).collect();
    let shape = list(shape);
    quote!(::etch_kernels::reduce::sum::mean_dims(#x, &#shape, &[#(#mask),*], #out);)
}
