//! _softmax.out and _log_softmax.out: `[x, dim, half_to_float, out]`.

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn softmax(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, args, false)
}

pub fn log_softmax(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, args, true)
}

fn lower(cx: &mut Cx<'_, '_>, args: &[usize], log: bool) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    let dim = cx.dim(dim, cx.ty(x).shape.len())?;
    if cx.ty(x).shape != cx.ty(out).shape {
        return Err(cx.invalid("input and output shapes differ"));
    }
    cx.push(Op::Softmax { dim, log }, vec![x], vec![out]);
    Ok(())
}
