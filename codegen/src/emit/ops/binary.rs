use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::cast::convert;
use crate::emit::{dims, scalar_lit};
use crate::ir::{BinaryFn, DType, Method, Node};
use crate::lower::promote::compute_dtype;

/// `out = a op alpha*b`, computed in ExecuTorch's promoted dtype.
pub fn emit(m: &Method, node: &Node, f: BinaryFn, alpha: f64, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let dtype = |v: usize| m.values[v].ty.dtype;
    let (da, db, dout) = (dtype(node.inputs[0]), dtype(node.inputs[1]), dtype(node.outputs[0]));
    let c = compute_dtype(f, da, db).unwrap_or(dout);
    let (a, b) = (convert(quote!(a), da, c), convert(quote!(b), db, c));
    let body = convert(expr(f, alpha, &a, &b, c), c, dout);
    let (ta, tb) = (format_ident!("{}", da.rust()), format_ident!("{}", db.rust()));
    let check = if m.checks_divisor(node) {
        let (op, divisor) = (node.op.name(), &r[1]);
        quote!(::etch_kernels::elementwise::binary::check_divisor(#op, #divisor)?;)
    } else {
        quote!()
    };
    let call = call(m, node, quote!(|a: #ta, b: #tb| #body), r, w);
    quote!(#check #call)
}

/// `a op alpha*b` on two expressions of dtype `c`, as Rust.
pub fn expr(f: BinaryFn, alpha: f64, a: &TokenStream, b: &TokenStream, c: DType) -> TokenStream {
    // Integers wrap, as in ExecuTorch's C++, instead of panicking in a debug build.
    let op = |name: &str, x: &TokenStream, y: &TokenStream| match (c.is_float(), name) {
        (true, "add") => quote!(#x + #y),
        (true, "sub") => quote!(#x - #y),
        (true, "mul") => quote!(#x * #y),
        (true, _) => quote!(#x / #y),
        (false, name) => {
            let method = format_ident!("wrapping_{name}");
            quote!((#x).#method(#y))
        }
    };
    let scaled = if alpha == 1.0 { b.clone() } else { op("mul", &scalar_lit(alpha, c), b) };
    match f {
        BinaryFn::Add => op("add", a, &scaled),
        BinaryFn::Sub => op("sub", a, &scaled),
        BinaryFn::Mul => op("mul", a, b),
        BinaryFn::Div => op("div", a, b),
        BinaryFn::Maximum if c.is_float() => quote!(::etch_kernels::elementwise::math::maximum(#a, #b)),
        BinaryFn::Minimum if c.is_float() => quote!(::etch_kernels::elementwise::math::minimum(#a, #b)),
        BinaryFn::Maximum => quote!(::core::cmp::max(#a, #b)),
        BinaryFn::Minimum => quote!(::core::cmp::min(#a, #b)),
        BinaryFn::BitAnd => quote!(#a & #b),
        BinaryFn::BitOr => quote!(#a | #b),
        BinaryFn::BitXor => quote!(#a ^ #b),
        _ if c.is_float() => float_expr(f, a, b),
        _ => int_expr(f, a, b, c),
    }
}

fn float_expr(f: BinaryFn, a: &TokenStream, b: &TokenStream) -> TokenStream {
    let math = |name: &str| {
        let name = format_ident!("{name}");
        quote!(::etch_kernels::elementwise::math::#name(#a, #b))
    };
    match f {
        BinaryFn::Atan2 => math("atan2"),
        BinaryFn::Pow => math("pow"),
        BinaryFn::FloorDiv => math("floor_divide"),
        BinaryFn::Remainder => math("remainder"),
        BinaryFn::Fmod => math("fmod"),
        _ => quote!(::etch_kernels::elementwise::math::trunc(#a / #b)),
    }
}

/// Integer forms. A zero divisor from data fails the call first (`check_divisor`);
/// one from the weights gives 0, where ExecuTorch fails every call.
fn int_expr(f: BinaryFn, a: &TokenStream, b: &TokenStream, c: DType) -> TokenStream {
    let t = format_ident!("{}", c.rust());
    match f {
        BinaryFn::Pow => quote!(::etch_kernels::elementwise::math::pow_f64((#a) as f64, (#b) as f64) as #t),
        BinaryFn::FloorDiv => quote!(::etch_kernels::elementwise::math::floor_divide_i64((#a) as i64, (#b) as i64) as #t),
        BinaryFn::Fmod => quote!(::etch_kernels::elementwise::math::fmod_f64((#a) as f64, (#b) as f64) as #t),
        BinaryFn::Remainder => quote!({ let (a, b) = (#a, #b); if b == 0 { 0 } else { a.wrapping_rem(b) } }),
        _ => quote!({ let (a, b) = (#a, #b); if b == 0 { 0 } else { a.wrapping_div(b) } }),
    }
}

/// A two-input elementwise call: a plain zip when both inputs have the
/// output's shape, else a broadcast with (possibly runtime) strides.
pub fn call(m: &Method, node: &Node, closure: TokenStream, r: &[TokenStream], w: &[TokenStream]) -> TokenStream {
    let shape = |v: usize| &m.values[v].ty.shape;
    let (a, b, out) = (&r[0], &r[1], &w[0]);
    let o = node.outputs[0];
    if shape(node.inputs[0]) == shape(o) && shape(node.inputs[1]) == shape(o) {
        return quote!(::etch_kernels::elementwise::binary::zip(#a, #b, #out, #closure););
    }
    let (sa, sb) = (dims::broadcast_strides(m, node.inputs[0], o), dims::broadcast_strides(m, node.inputs[1], o));
    let so = dims::shape(m, o);
    quote!(::etch_kernels::elementwise::binary::broadcast(#a, &#sa, #b, &#sb, #out, &#so, #closure);)
}
