//! An int8 entry point for a method that begins by quantizing its f32 input,
//! as TFLM users feed a model: `<method>_i8_input()` is the int8 input's own
//! window in the arena, `<method>_i8()` runs everything after the quantize.
//! The caller never holds the f32 input (110 KB for a 96×96×3 image), and the
//! int8 input's bytes are reused once the first layer has read them.
//!
//! When a patched chain reads the input row by row (`passes/patch.rs`),
//! `<method>_i8_rows(rows)` takes the int8 rows from the caller instead.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::operands::{field, place, Place};
use super::{f32_lit, lit, method, Layout};
use crate::ir::{DType, Method, Op, PatchStream, QOp};

/// The patched chain that streams the method's only input, and how.
fn streamed(m: &Method) -> Option<(usize, PatchStream)> {
    m.nodes.iter().enumerate().find_map(|(k, node)| match &node.op {
        Op::Int8(QOp::Patched { stream: Some(s), .. }) if m.inputs[..] == node.inputs[..1] => Some((k, *s)),
        _ => None,
    })
}

/// The scale and zero point of the int8 input, when the method has an int8 entry point.
pub fn int8_input(m: &Method) -> Option<(f32, i32)> {
    if let Some((_, s)) = streamed(m) {
        return Some((s.scale as f32, s.zero_point as i32));
    }
    let Op::Quantize { scale, zero_point, .. } = m.nodes[m.entry_quantize()?].op else { return None };
    Some((scale as f32, zero_point as i32))
}

pub fn emit(m: &Method, layout: &Layout) -> Option<TokenStream> {
    if let Some((k, s)) = streamed(m) {
        return Some(emit_rows(m, layout, k, s));
    }
    let q = m.entry_quantize()?;
    let Op::Quantize { scale, zero_point, .. } = m.nodes[q].op else { return None };
    let y = m.nodes[q].outputs[0];
    let Place::Arena(DType::I8, offset) = place(m, layout, y) else { return None };
    let name = crate::ident::method(&m.name);
    let input = format_ident!("{name}_i8_input");
    let (scale_c, zp_c, consts) = constants(m, scale, zero_point);
    let (f, total, n, offset) = (field(DType::I8), lit(layout.pools.get(&DType::I8).copied().unwrap_or(0)), lit(m.values[y].ty.numel()), lit(offset));

    // The method after its quantize: the same values at the same offsets.
    let mut rest = m.clone();
    rest.name = format!("{}_i8", m.name);
    rest.inputs.clear();
    rest.nodes.remove(q);
    let shape = format!("{:?}", m.values[y].ty.shape);
    let doc = vec![
        format!(" Runs `{}` on the int8 input already written to [`Self::{input}`],", m.name),
        format!(" skipping its first step, the quantize of the f32 input (scale [`Self::{scale_c}`],"),
        format!(" zero point [`Self::{zp_c}`]): the same outputs as `{name}` on the input it stands for."),
    ];
    let body = method::emit_with_doc(&rest, layout, doc);
    Some(quote! {
        #consts

        #[doc = concat!(" Where the int8 input of the int8 entry point goes, ", #shape, " row-major: a window")]
        /// of the arena, so it costs no memory of its own and is reused once the first layer has read it.
        /// Write it before every call; a call overwrites it.
        pub fn #input(&mut self) -> &mut [i8; #n] {
            ::etch_kernels::arena::window_mut::<i8, #total, #offset, #n>(&mut self.#f)
        }

        #body
    })
}

/// The scale and zero point constants of the int8 input, and their names.
fn constants(m: &Method, scale: f64, zero_point: i64) -> (Ident, Ident, TokenStream) {
    let upper = crate::ident::method(&m.name).to_string().to_uppercase();
    let (scale_c, zp_c) = (format_ident!("{upper}_I8_SCALE"), format_ident!("{upper}_I8_ZERO_POINT"));
    let s = f32_lit(f64::from(scale as f32));
    let zp = proc_macro2::Literal::i32_unsuffixed(zero_point as i32);
    let consts = quote! {
        /// The scale of the int8 input of the int8 entry point: `q = clamp(rint(x / scale) + zero_point, -128, 127)`.
        pub const #scale_c: f32 = #s;
        /// The zero point of the int8 input of the int8 entry point.
        pub const #zp_c: i32 = #zp;
    };
    (scale_c, zp_c, consts)
}

/// `<method>_i8_rows(rows)`: the method with its patched node `k` reading the
/// caller's int8 rows instead of quantizing the f32 input.
fn emit_rows(m: &Method, layout: &Layout, k: usize, s: PatchStream) -> TokenStream {
    let name = crate::ident::method(&m.name);
    let (scale_c, zp_c, consts) = constants(m, s.scale, s.zero_point);
    let [_, c, h, w] = s.shape;
    let mut rest = m.clone();
    rest.name = format!("{}_i8_rows", m.name);
    rest.inputs.clear();
    if let Some(node) = rest.nodes.get_mut(k) {
        node.inputs.remove(0);
        if let Op::Int8(QOp::Patched { stream: Some(st), .. }) = &mut node.op {
            st.rows = true;
        }
    }
    let doc = vec![
        format!(" Runs `{name}` on its int8 input handed over row by row, as a camera delivers it:"),
        format!(" `rows(y, row)` is called once for each `y` in `0..{h}`, top to bottom, and writes row"),
        format!(" `y` channels last, `row[x * {c} + c]`, quantized with [`Self::{scale_c}`] and"),
        format!(" [`Self::{zp_c}`]. Only the rows the first layers still read are kept (in the arena),"),
        " so the whole input never exists; the outputs are those of the f32 method on the input".into(),
        " the rows stand for.".into(),
    ];
    let n = lit(c * w);
    let extra = quote!(mut rows: impl FnMut(usize, &mut [i8; #n]),);
    let body = method::emit_with(&rest, layout, doc, extra);
    quote! {
        #consts

        #body
    }
}
