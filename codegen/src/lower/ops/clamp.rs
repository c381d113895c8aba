//! clamp (`[x, min?, max?, out]`), hardtanh (`[x, min, max, out]`) and
//! clamp.Tensor_out (`[x, min?, max?, out]` with tensor bounds, broadcasting).

use crate::error::Result;
use crate::ir::{BinaryFn, DType, Op, Storage, TensorType};
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

/// `minimum(maximum(x, min), max)` in the promoted dtype: NaN on any side wins, as in ExecuTorch.
pub fn clamp_tensor(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let min = cx.opt_input(cx.arg(args, 1)?)?;
    let max = cx.opt_input(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let mut common = Some(cx.ty(x).dtype);
    for &b in min.iter().chain(&max) {
        common = common.and_then(|c| super::promote::promote(c, cx.ty(b).dtype));
    }
    let common = common.filter(|&c| c != DType::Bool).ok_or_else(|| cx.invalid("the bounds' dtypes do not promote"))?;
    let mut inputs = vec![x];
    inputs.extend(min.iter().chain(&max));
    super::binary::check_broadcast(cx, &inputs, out)?;
    let shape = cx.ty(out).shape.clone();
    let mut cur = x;
    let steps: Vec<(BinaryFn, usize)> = min.map(|m| (BinaryFn::Maximum, m)).into_iter().chain(max.map(|m| (BinaryFn::Minimum, m))).collect();
    if steps.is_empty() {
        cx.push(Op::Cast, vec![x], vec![out]);
        return Ok(());
    }
    for (k, &(f, b)) in steps.iter().enumerate() {
        let dst = if k + 1 == steps.len() { out } else { cx.temp(TensorType { dtype: common, shape: shape.clone() }, Storage::Arena) };
        cx.push(Op::Binary { f, alpha: 1.0 }, vec![cur, b], vec![dst]);
        cur = dst;
    }
    Ok(())
}
