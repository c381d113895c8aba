//! clamp (`[x, min?, max?, out]`) and hardtanh (`[x, min, max, out]`).

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn clamp(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let min = cx.opt_scalar(cx.arg(args, 1)?)?;
    let max = cx.opt_scalar(cx.arg(args, 2)?)?;
    lower(cx, args, min, max)
}

pub fn hardtanh(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let min = cx.scalar(cx.arg(args, 1)?)?;
    let max = cx.scalar(cx.arg(args, 2)?)?;
    lower(cx, args, Some(min), Some(max))
}

fn lower(cx: &mut Cx<'_, '_>, args: &[usize], min: Option<f64>, max: Option<f64>) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    // Integer tensors clamp in their own dtype, with bounds that are integers.
    let d = cx.ty(x).dtype;
    let int_bounds = [min, max].iter().flatten().all(|v| v.fract() == 0.0);
    if d != cx.ty(out).dtype || d == DType::Bool || (d != DType::F32 && !int_bounds) {
        return Err(cx.invalid(format!("clamp from {d} to {} with bounds {min:?}, {max:?} is not supported", cx.ty(out).dtype)));
    }
    if cx.ty(x).shape != cx.ty(out).shape {
        return Err(cx.invalid("input and output shapes differ"));
    }
    cx.push(Op::Clamp { min, max }, vec![x], vec![out]);
    Ok(())
}
