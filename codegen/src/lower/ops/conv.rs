//! convolution.out: `[x, w, bias?, stride, padding, dilation, transposed, output_padding, groups, out]`.

use crate::error::Result;
use crate::ir::{Conv2d, ConvTranspose2d, DType, Op};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let mut x = cx.input(cx.arg(args, 0)?)?;
    let mut w = cx.input(cx.arg(args, 1)?)?;
    if cx.ty(x).shape.len() == 5 {
        // ExecuTorch's portable convolution refuses 5-D input at run time too.
        return Err(cx.invalid("3-D convolution (5-D input) is not supported; ExecuTorch 1.5.1's portable kernel runs 1-D and 2-D only"));
    }
    let bias = cx.opt_input(cx.arg(args, 2)?)?;
    // A 1-D convolution runs as a 2-D one over rows of height 1.
    let one_d = cx.ty(x).shape.len() == 3;
    let pair = |cx: &Cx<'_, '_>, i: usize, what: &str, unit: usize| if one_d { single(cx, i, what, unit) } else { pair(cx, i, what) };
    let stride = pair(cx, cx.arg(args, 3)?, "stride", 1)?;
    let padding = pair(cx, cx.arg(args, 4)?, "padding", 0)?;
    let dilation = pair(cx, cx.arg(args, 5)?, "dilation", 1)?;
    if stride.contains(&0) || dilation.contains(&0) {
        return Err(cx.invalid("stride and dilation must be at least 1"));
    }
    let groups = usize::try_from(cx.int(cx.arg(args, 8)?)?).unwrap_or(0);
    let mut out = cx.output(cx.arg(args, 9)?)?;
    if one_d {
        if cx.ty(w).shape.len() != 3 || cx.ty(out).shape.len() != 3 || cx.syms.is_dynamic(x) {
            return Err(cx.invalid("a 1-D convolution needs static 3-D input, weight and output"));
        }
        x = cx.unsqueeze(x, 2);
        w = cx.unsqueeze(w, 2);
        out = cx.unsqueeze_output(out, 2);
    }
    let mut inputs = vec![x, w];
    inputs.extend(bias);
    if cx.bool(cx.arg(args, 6)?)? {
        let output_padding = pair(cx, cx.arg(args, 7)?, "output_padding", 0)?;
        let c = ConvTranspose2d { stride, padding, dilation, groups, has_bias: bias.is_some() };
        return super::conv_transpose::push(cx, inputs, out, c, output_padding);
    }
    cx.expect_dtype(&inputs, DType::F32)?;
    cx.expect_dtype(&[out], DType::F32)?;

    let (xs, ws, os) = (&cx.ty(x).shape, &cx.ty(w).shape, &cx.ty(out).shape);
    if xs.len() != 4 || ws.len() != 4 || os.len() != 4 {
        return Err(cx.invalid(format!("only 2-D convolution is supported (input rank {})", xs.len())));
    }
    if groups == 0 || xs[1] % groups != 0 || ws[0] % groups != 0 || ws[1] * groups != xs[1] || os[1] != ws[0] {
        return Err(cx.invalid(format!("channels do not match: input {xs:?}, weight {ws:?}, groups {groups}")));
    }
    for d in 0..2 {
        if out_size(xs[2 + d], ws[2 + d], padding[d], stride[d], dilation[d]) != Some(os[2 + d]) {
            return Err(cx.invalid(format!("output shape {os:?} does not follow from input {xs:?}")));
        }
    }
    if let Some(b) = bias {
        if cx.ty(b).numel() != ws[0] {
            return Err(cx.invalid("bias length differs from output channels"));
        }
    }
    let conv = Conv2d { stride, padding, dilation, groups, has_bias: bias.is_some(), clamp: None, residual: false };
    cx.push(Op::Conv2d(conv), inputs, vec![out]);
    Ok(())
}

/// The output length of a window `kernel` long sliding over `input` padded
/// by `pad` on both sides; `None` when the window does not fit once.
pub fn out_size(input: usize, kernel: usize, pad: usize, stride: usize, dilation: usize) -> Option<usize> {
    if stride == 0 || dilation == 0 || kernel == 0 {
        return None;
    }
    let span = dilation.checked_mul(kernel - 1)?.checked_add(1)?;
    input.checked_add(pad.checked_mul(2)?)?.checked_sub(span).map(|v| v / stride + 1)
}

/// A 1-element int list as `[unit, v]`: the second of two dims, the first of size 1.
pub fn single(cx: &Cx<'_, '_>, index: usize, what: &str, unit: usize) -> Result<[usize; 2]> {
    match cx.int_list(index)?.as_slice() {
        [v] => match usize::try_from(*v) {
            Ok(v) if v <= 1 << 16 => Ok([unit, v]),
            _ => Err(cx.invalid(format!("{what} {v} is out of range"))),
        },
        other => Err(cx.invalid(format!("{what} of a 1-D window must have 1 entry, not {}", other.len()))),
    }
}

/// A 2-element int list of positive values (a 1-element list repeats).
pub fn pair(cx: &Cx<'_, '_>, index: usize, what: &str) -> Result<[usize; 2]> {
    let v = cx.int_list(index)?;
    let v: Vec<usize> = v.iter().map(|&x| usize::try_from(x).unwrap_or(usize::MAX)).collect();
    let p = match v.as_slice() {
        [a] => [*a, *a],
        [a, b] => [*a, *b],
        _ => return Err(cx.invalid(format!("{what} must have 1 or 2 entries"))),
    };
    if p.iter().any(|&x| x > 1 << 16) {
        return Err(cx.invalid(format!("{what} {p:?} is out of range")));
    }
    Ok(p)
}
