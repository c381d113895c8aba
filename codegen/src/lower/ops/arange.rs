//! arange.start_out (`[start, end, step, out]`) and arange.out (`[end, out]`).

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn start(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let start = cx.scalar(cx.arg(args, 0)?)?;
    let end = cx.scalar(cx.arg(args, 1)?)?;
    let step = cx.scalar(cx.arg(args, 2)?)?;
    lower(cx, start, end, step, cx.arg(args, 3)?)
}

pub fn end(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let end = cx.scalar(cx.arg(args, 0)?)?;
    lower(cx, 0.0, end, 1.0, cx.arg(args, 1)?)
}

fn lower(cx: &mut Cx<'_, '_>, start: f64, end: f64, step: f64, out: usize) -> Result<()> {
    let out = cx.output(out)?;
    let len = ((end - start) / step).ceil();
    if step == 0.0 || len.is_nan() || len < 0.0 || len as usize != cx.ty(out).numel() || cx.ty(out).dtype == DType::Bool {
        return Err(cx.invalid(format!("arange({start}, {end}, {step}) does not fit a {} output of shape {:?}", cx.ty(out).dtype, cx.ty(out).shape)));
    }
    cx.push(Op::Arange { start, step }, vec![], vec![out]);
    Ok(())
}
