//! any.out (`[x, dim, keepdim, out]`), any.dims_out (`[x, dims?, keepdim, out]`)
//! and any.all_out (`[x, out]`).

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn dim(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let d = cx.int(cx.arg(args, 1)?)?;
    lower(cx, cx.arg(args, 0)?, Some(vec![d]), cx.arg(args, 3)?)
}

pub fn dims(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let dims = cx.opt_int_list(cx.arg(args, 1)?)?;
    lower(cx, cx.arg(args, 0)?, dims, cx.arg(args, 3)?)
}

pub fn all(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, cx.arg(args, 0)?, None, cx.arg(args, 1)?)
}

fn lower(cx: &mut Cx<'_, '_>, x: usize, dims: Option<Vec<i64>>, out: usize) -> Result<()> {
    let x = cx.input(x)?;
    let out = cx.output(out)?;
    cx.expect_dtype(&[out], DType::Bool)?;
    let shape = cx.ty(x).shape.clone();
    if dims.as_ref().is_some_and(Vec::is_empty) {
        // An empty dim list reduces nothing: each element on its own.
        cx.push(Op::Any { dims: vec![] }, vec![x], vec![out]);
        return Ok(());
    }
    let mut dims = match dims {
        Some(d) => d.iter().map(|&d| cx.dim(d, shape.len())).collect::<Result<Vec<_>>>()?,
        None => (0..shape.len()).collect(),
    };
    dims.sort_unstable();
    dims.dedup();
    if dims.windows(2).any(|w| w[1] != w[0] + 1) {
        return Err(cx.invalid(format!("any over the non-adjacent dims {dims:?} is not supported yet")));
    }
    let kept: usize = shape.iter().enumerate().filter(|(d, _)| !dims.contains(d)).map(|(_, &s)| s).product();
    if kept != cx.ty(out).numel() {
        return Err(cx.invalid("output size does not match the reduced input"));
    }
    cx.push(Op::Any { dims }, vec![x], vec![out]);
    Ok(())
}
