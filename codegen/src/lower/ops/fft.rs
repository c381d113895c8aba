//! `_fft_r2c.out` and `abs.out` of complex values. etch holds ExecuTorch's
//! `ComplexFloat` as f32 pairs: a trailing dim of 2 (see `cx::tensor_type`).

use crate::error::Result;
use crate::ir::{DType, Op, UnaryFn};
use crate::lower::cx::Cx;

/// `[x, dim, normalization, onesided, out]`: ExecuTorch's kernel takes only the
/// one-sided form and fails the call over a dim other than the last; etch
/// takes the last dim alone (torch.stft's case).
pub fn r2c(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let (xa, oa) = (cx.arg(args, 0)?, cx.arg(args, 4)?);
    let x = cx.input(xa)?;
    let dims = cx.int_list(cx.arg(args, 1)?)?;
    let norm = cx.int(cx.arg(args, 2)?)?;
    let onesided = cx.bool(cx.arg(args, 3)?)?;
    let out = cx.output(oa)?;
    if cx.ty(x).dtype != DType::F32 || cx.is_complex(xa) || !cx.is_complex(oa) {
        return Err(cx.invalid("_fft_r2c takes a real f32 tensor to a complex one"));
    }
    if !onesided {
        return Err(cx.invalid("onesided=False is not supported (nor by ExecuTorch's kernel)"));
    }
    let shape = cx.ty(x).shape.clone();
    let [d] = dims[..] else {
        return Err(cx.invalid(format!("a transform over dims {dims:?}: etch supports one dim")));
    };
    let d = cx.dim(d, shape.len())?;
    if d + 1 != shape.len() {
        return Err(cx.invalid(format!("a transform over dim {d} of {}: ExecuTorch's kernel fails the call off the last dim", shape.len())));
    }
    let n = shape[d];
    let mut expect = shape.clone();
    expect[d] = n / 2 + 1;
    expect.push(2);
    if n == 0 || cx.ty(out).shape != expect {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    // ExecuTorch computes the factor in f32.
    let scale = match norm {
        0 => 1.0f32,
        1 => 1.0 / (n as f32).sqrt(),
        2 => 1.0 / n as f32,
        _ => return Err(cx.invalid(format!("normalization {norm} is none of 0, 1, 2"))),
    };
    let (outer, inner) = (shape[..d].iter().product(), shape[d + 1..].iter().product());
    cx.push(Op::RealFft { outer, n, inner, scale: f64::from(scale) }, vec![x], vec![out]);
    Ok(())
}

/// `abs.out`: the magnitude of complex values, else the real unary op.
pub fn abs(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let xa = cx.arg(args, 0)?;
    if !cx.is_complex(xa) {
        return super::unary::lower(cx, args, UnaryFn::Abs);
    }
    let oa = cx.arg(args, 1)?;
    let x = cx.input(xa)?;
    let out = cx.output(oa)?;
    let shape = &cx.ty(x).shape;
    if cx.is_complex(oa) || cx.ty(out).dtype != DType::F32 || cx.ty(out).shape[..] != shape[..shape.len() - 1] {
        return Err(cx.invalid("abs of a complex tensor is a real one of its shape"));
    }
    cx.push(Op::ComplexAbs, vec![x], vec![out]);
    Ok(())
}
