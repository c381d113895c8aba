//! slice_copy.Tensor_out: `[x, dim, start?, end?, step, out]`, with Python's clamping.

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::{strides, Cx};

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let (start_arg, end_arg) = (cx.arg(args, 2)?, cx.arg(args, 3)?);
    if super::prim::is_runtime(cx, start_arg) || super::prim::is_runtime(cx, end_arg) {
        let dim = cx.dim(dim, cx.ty(x).shape.len())?;
        let step = cx.int(cx.arg(args, 4)?)?;
        return super::prim::slice_runtime(cx, x, dim, start_arg, end_arg, step, cx.arg(args, 5)?);
    }
    if cx.syms.sym(x, cx.dim(dim, cx.ty(x).shape.len())?).is_some() {
        return Err(cx.invalid("a slice along a runtime dim with constant bounds is not supported"));
    }
    let start = if cx.is_null(cx.arg(args, 2)?)? { 0 } else { cx.int(cx.arg(args, 2)?)? };
    let end = if cx.is_null(cx.arg(args, 3)?)? { i64::MAX } else { cx.int(cx.arg(args, 3)?)? };
    let step = cx.int(cx.arg(args, 4)?)?;
    let out = cx.output(cx.arg(args, 5)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = cx.dim(dim, shape.len())?;
    if step < 1 {
        return Err(cx.invalid(format!("slice step {step} must be positive")));
    }
    let size = shape[dim] as i64;
    let clamp = |v: i64| if v < 0 { (v + size).max(0) } else { v.min(size) };
    let (start, end) = (clamp(start), clamp(end));
    let len = if end > start { (end - start + step - 1) / step } else { 0 };
    let mut expect = shape.clone();
    expect[dim] = len as usize;
    if expect != cx.ty(out).shape || cx.ty(x).dtype != cx.ty(out).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    let mut s = strides(&shape);
    let offset = start as usize * s[dim];
    s[dim] *= step as usize;
    cx.push(Op::Gather { offset, strides: s }, vec![x], vec![out]);
    Ok(())
}
