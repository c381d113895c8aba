//! mean.out: `[x, dims?, keepdim, dtype?, out]`; mean.dtype_out: `[x, dtype?, out]` over every dim.

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let dims = cx.opt_int_list(cx.arg(args, 1)?)?.unwrap_or_default();
    push(cx, args, dims, 4)
}

pub fn all(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    push(cx, args, Vec::new(), 2)
}

fn push(cx: &mut Cx<'_, '_>, args: &[usize], dims: Vec<i64>, out_arg: usize) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let out = cx.output(cx.arg(args, out_arg)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    let shape = cx.ty(x).shape.clone();
    let mut dims = dims.iter().map(|&d| cx.dim(d, shape.len())).collect::<Result<Vec<_>>>()?;
    if dims.is_empty() {
        dims = (0..shape.len()).collect();
    }
    dims.sort_unstable();
    dims.dedup();
    let kept: usize = shape.iter().enumerate().filter(|(d, _)| !dims.contains(d)).map(|(_, &s)| s).product();
    if kept != cx.ty(out).numel() {
        return Err(cx.invalid("output size does not match the reduced input"));
    }
    cx.push(Op::Mean { dims }, vec![x], vec![out]);
    Ok(())
}
