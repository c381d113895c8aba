//! convolution.out with `transposed` set: weights `[cin, cout / groups, kh, kw]`.

use crate::error::Result;
use crate::ir::{ConvTranspose2d, DType, Op, ValueId};
use crate::lower::cx::Cx;

/// Checks the shapes of `x → out` and pushes the op. `output_padding` only
/// lengthens the output, so it is read off the output shape.
pub fn push(cx: &mut Cx<'_, '_>, inputs: Vec<ValueId>, out: ValueId, c: ConvTranspose2d, output_padding: [usize; 2]) -> Result<()> {
    cx.expect_dtype(&inputs, DType::F32)?;
    cx.expect_dtype(&[out], DType::F32)?;
    let (xs, ws, os) = (&cx.ty(inputs[0]).shape, &cx.ty(inputs[1]).shape, &cx.ty(out).shape);
    if xs.len() != 4 || ws.len() != 4 || os.len() != 4 {
        return Err(cx.invalid(format!("only 2-D transposed convolution is supported (input rank {})", xs.len())));
    }
    let g = c.groups;
    if g == 0 || ws[0] != xs[1] || xs[1] % g != 0 || os[1] != ws[1] * g || os[0] != xs[0] {
        return Err(cx.invalid(format!("channels do not match: input {xs:?}, weight {ws:?}, groups {g}")));
    }
    for d in 0..2 {
        let grown = xs[2 + d].checked_sub(1).map(|i| i * c.stride[d] + c.dilation[d] * (ws[2 + d].max(1) - 1) + output_padding[d] + 1);
        if grown.and_then(|v| v.checked_sub(2 * c.padding[d])) != Some(os[2 + d]) || output_padding[d] >= c.stride[d].max(c.dilation[d]) {
            return Err(cx.invalid(format!("output shape {os:?} does not follow from input {xs:?}")));
        }
    }
    if let Some(&b) = inputs.get(2) {
        if cx.ty(b).numel() != os[1] {
            return Err(cx.invalid("bias length differs from output channels"));
        }
    }
    cx.push(Op::ConvTranspose2d(c), inputs, vec![out]);
    Ok(())
}
