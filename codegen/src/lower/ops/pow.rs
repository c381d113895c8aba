//! pow.Tensor_Scalar_out: `[x, exponent, out]`.

use super::promote::with_scalar;
use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::{Cx, ScalarKind};

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let (exponent, kind) = cx.typed_scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    if with_scalar(cx.ty(x).dtype, kind) == DType::Bool || cx.ty(out).dtype == DType::Bool {
        return Err(cx.invalid("pow is not defined on bools"));
    }
    // ExecuTorch computes in f32 for f32 tensors and in double for integers.
    if !cx.ty(x).dtype.is_float() && kind == ScalarKind::Float {
        return Err(cx.invalid("pow of an integer tensor to a float exponent is not supported yet"));
    }
    if cx.ty(x).shape != cx.ty(out).shape {
        return Err(cx.invalid("input and output shapes differ"));
    }
    cx.push(Op::Pow { exponent }, vec![x], vec![out]);
    Ok(())
}
