use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::lit;

/// Inputs are `[x, mean, var, weight?, bias?]`.
pub fn emit(x: &[usize], eps: f64, has_weight: bool, has_bias: bool, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let mut rest = r[3..].iter();
    let mut opt = |present: bool| match (present, rest.next()) {
        (true, Some(t)) => quote!(Some(#t)),
        _ => quote!(None),
    };
    let (weight, bias) = (opt(has_weight), opt(has_bias));
    let (xs, mean, var, o) = (&r[0], &r[1], &r[2], &w[0]);
    let (batch, ch, inner) = (lit(x[0]), lit(x[1]), lit(x[2..].iter().product()));
    let eps = proc_macro2::Literal::f64_suffixed(eps);
    quote!(::etch_kernels::norm::batch_layer::batch_norm_f64_eps(#xs, #o, #mean, #var, #weight, #bias, #eps, #batch, #ch, #inner);)
}
