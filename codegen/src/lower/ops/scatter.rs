//! Writes into a copy: scatter.src_out / scatter_add.out `[x, dim, index, src, out]`,
//! scatter.value_out `[x, dim, index, value, out]`, slice_scatter.out
//! `[x, src, dim, start?, end?, step, out]` and copy.out `[x, src, non_blocking, out]`.

use super::binary::broadcasts_to;
use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn scatter_src(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let src = cx.input(cx.arg(args, 3)?)?;
    scatter(cx, args, src, false)
}

pub fn scatter_add(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let src = cx.input(cx.arg(args, 3)?)?;
    scatter(cx, args, src, true)
}

pub fn scatter_value(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.scalar(cx.arg(args, 3)?)?;
    let x = cx.input(cx.arg(args, 0)?)?;
    let src = cx.scalar_const(value, cx.ty(x).dtype);
    scatter(cx, args, src, false)
}

fn scatter(cx: &mut Cx<'_, '_>, args: &[usize], src: usize, add: bool) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let index = cx.input(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 4)?)?;
    let (xs, is, ss) = (cx.ty(x).shape.clone(), cx.ty(index).shape.clone(), cx.ty(src).shape.clone());
    let dim = cx.dim(dim, xs.len())?;
    let scalar = ss.is_empty();
    let fits = is.len() == xs.len()
        && (scalar || ss.len() == xs.len())
        && is.iter().enumerate().all(|(d, &i)| (d == dim || i <= xs[d]) && (scalar || i <= ss[d]));
    if !fits || cx.ty(out).shape != xs || cx.ty(out).dtype != cx.ty(x).dtype || cx.ty(src).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("index {is:?} and src {ss:?} do not scatter into {xs:?} along dim {dim}")));
    }
    cx.expect_dtype(&[index], DType::I64)?;
    cx.check_const_index(index, xs.get(dim).copied().unwrap_or(1), false)?;
    cx.push(Op::Scatter { dim, add }, vec![x, index, src], vec![out]);
    Ok(())
}

/// `x` with the slice `start..end` (by `step`) along `dim` replaced by `src`:
/// an index_put at the constant positions of the slice.
pub fn slice_scatter(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let src = cx.input(cx.arg(args, 1)?)?;
    let dim = cx.int(cx.arg(args, 2)?)?;
    let start = if cx.is_null(cx.arg(args, 3)?)? { 0 } else { cx.int(cx.arg(args, 3)?)? };
    let end = if cx.is_null(cx.arg(args, 4)?)? { i64::MAX } else { cx.int(cx.arg(args, 4)?)? };
    let step = cx.int(cx.arg(args, 5)?)?;
    let out = cx.output(cx.arg(args, 6)?)?;
    let xs = cx.ty(x).shape.clone();
    let dim = cx.dim(dim, xs.len())?;
    if step < 1 {
        return Err(cx.invalid(format!("slice step {step} must be positive")));
    }
    let size = xs.get(dim).copied().unwrap_or(1) as i64;
    let clamp = |v: i64| if v < 0 { (v + size).max(0) } else { v.min(size) };
    let positions: Vec<i64> = (clamp(start)..clamp(end)).step_by(step as usize).collect();
    let mut region = xs.clone();
    region[dim] = positions.len();
    if cx.ty(src).shape != region || cx.ty(out).shape != xs || cx.ty(src).dtype != cx.ty(x).dtype || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("src {:?} does not fill the slice {region:?}", cx.ty(src).shape)));
    }
    let index = cx.index_const(&positions);
    cx.push(Op::IndexPut { dim, accumulate: false }, vec![x, src, index], vec![out]);
    Ok(())
}

/// `out = src`, broadcast to `x`'s shape and cast to its dtype.
pub fn copy(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let src = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let shape = cx.ty(x).shape.clone();
    if !broadcasts_to(&cx.ty(src).shape, &shape) || cx.ty(out).shape != shape || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("src {:?} does not broadcast to {shape:?}", cx.ty(src).shape)));
    }
    let wide = cx.broadcast_to(src, &shape);
    let op = if cx.ty(wide).dtype == cx.ty(out).dtype { Op::Copy } else { Op::Cast };
    cx.push(op, vec![wide], vec![out]);
    Ok(())
}
