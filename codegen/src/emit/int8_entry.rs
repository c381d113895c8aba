//! An int8 entry point for a method that begins by quantizing its f32 input,
//! as TFLM users feed a model: `<method>_i8_input()` is the int8 input's own
//! window in the arena, `<method>_i8()` runs everything after the quantize.
//! The caller never holds the f32 input (110 KB for a 96×96×3 image), and the
//! int8 input's bytes are reused once the first layer has read them.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::operands::{field, place, Place};
use super::{f32_lit, lit, method, Layout};
use crate::ir::{DType, Method, Op, Storage};

/// The quantize node that reads the method's only input, when it is the only
/// reader and writes an int8 arena value over the whole int8 range.
fn entry(method: &Method) -> Option<usize> {
    let [x] = method.inputs[..] else { return None };
    if method.dynamic.is_dynamic(x) || method.fallible() || method.random() || method.passes_input() {
        return None;
    }
    let mut readers = method.nodes.iter().enumerate().filter(|(_, n)| n.inputs.iter().any(|&i| method.root(i).0 == x));
    let (q, node) = readers.next()?;
    let Op::Quantize { min: -128, max: 127, .. } = node.op else { return None };
    let y = node.outputs[0];
    let ok = readers.next().is_none()
        && node.inputs == [x]
        && node.outputs.len() == 1
        && method.values[y].storage == Storage::Arena
        && method.values[y].ty.dtype == DType::I8
        && !method.outputs.iter().any(|&o| method.root(o).0 == y);
    ok.then_some(q)
}

/// The scale and zero point of the int8 input, when the method has an int8 entry point.
pub fn int8_input(m: &Method) -> Option<(f32, i32)> {
    let Op::Quantize { scale, zero_point, .. } = m.nodes[entry(m)?].op else { return None };
    Some((scale as f32, zero_point as i32))
}

pub fn emit(m: &Method, layout: &Layout) -> Option<TokenStream> {
    let q = entry(m)?;
    let Op::Quantize { scale, zero_point, .. } = m.nodes[q].op else { return None };
    let y = m.nodes[q].outputs[0];
    let Place::Arena(DType::I8, offset) = place(m, layout, y) else { return None };
    let name = crate::ident::method(&m.name);
    let input = format_ident!("{name}_i8_input");
    let upper = name.to_string().to_uppercase();
    let (scale_c, zp_c) = (format_ident!("{upper}_I8_SCALE"), format_ident!("{upper}_I8_ZERO_POINT"));
    let (f, total, n, offset) = (field(DType::I8), lit(layout.pools.get(&DType::I8).copied().unwrap_or(0)), lit(m.values[y].ty.numel()), lit(offset));
    let s = f32_lit(f64::from(scale as f32));
    let zp = proc_macro2::Literal::i32_unsuffixed(zero_point as i32);

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
        /// The scale of the int8 input of the int8 entry point: `q = clamp(rint(x / scale) + zero_point, -128, 127)`.
        pub const #scale_c: f32 = #s;
        /// The zero point of the int8 input of the int8 entry point.
        pub const #zp_c: i32 = #zp;

        #[doc = concat!(" Where the int8 input of the int8 entry point goes, ", #shape, " row-major: a window")]
        /// of the arena, so it costs no memory of its own and is reused once the first layer has read it.
        /// Write it before every call; a call overwrites it.
        pub fn #input(&mut self) -> &mut [i8; #n] {
            ::etch_kernels::arena::window_mut::<i8, #total, #offset, #n>(&mut self.#f)
        }

        #body
    })
}
