use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;

pub fn emit(shape: &[usize], dim: usize, log: bool, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let (x, out) = (&r[0], &w[0]);
    let outer = lit(shape[..dim].iter().product());
    let size = lit(shape[dim]);
    let inner = lit(shape[dim + 1..].iter().product());
    let f = if log { quote!(log_softmax) } else { quote!(softmax) };
    quote!(::etch_kernels::norm::softmax::#f(#x, #out, #outer, #size, #inner);)
}
