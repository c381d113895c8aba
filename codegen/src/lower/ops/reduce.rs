//! Reductions over a dim list: sum.IntList_out `[x, dims?, keepdim, dtype?, out]`,
//! amax/amin.out `[x, dims, keepdim, out]`, prod.int_out `[x, dim, keepdim, dtype?, out]`,
//! prod.out `[x, dtype?, out]`, max/min.unary_out `[x, out]`,
//! argmax/argmin.out `[x, dim?, keepdim, out]`, max.dim_max/min.dim_min
//! `[x, dim, keepdim, values, indices]`, var.correction_out `[x, dims?, correction?, keepdim, out]`,
//! var.out `[x, dims?, unbiased, keepdim, out]`; cumsum.out `[x, dim, dtype?, out]` and
//! topk.values `[x, k, dim, largest, sorted, values, indices]` along one dim.
//! An empty or missing dim list reduces every dim, as in ExecuTorch.

use crate::error::Result;
use crate::ir::{DType, Op, ReduceFn, ValueId};
use crate::lower::cx::Cx;

pub fn sum(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let dims = cx.opt_int_list(cx.arg(args, 1)?)?;
    list(cx, args, ReduceFn::Sum, dims, 4)
}

pub fn amax(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let dims = cx.int_list(cx.arg(args, 1)?)?;
    list(cx, args, ReduceFn::Max, Some(dims), 3)
}

pub fn amin(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let dims = cx.int_list(cx.arg(args, 1)?)?;
    list(cx, args, ReduceFn::Min, Some(dims), 3)
}

pub fn prod_dim(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let dim = cx.int(cx.arg(args, 1)?)?;
    list(cx, args, ReduceFn::Prod, Some(vec![dim]), 4)
}

pub fn prod_all(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    list(cx, args, ReduceFn::Prod, None, 2)
}

pub fn max_all(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    list(cx, args, ReduceFn::Max, None, 1)
}

pub fn min_all(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    list(cx, args, ReduceFn::Min, None, 1)
}

pub fn argmax(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    arg(cx, args, ReduceFn::ArgMax)
}

pub fn argmin(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    arg(cx, args, ReduceFn::ArgMin)
}

pub fn max_dim(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    with_index(cx, args, ReduceFn::Max)
}

pub fn min_dim(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    with_index(cx, args, ReduceFn::Min)
}

pub fn var_correction(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let correction = cx.opt_scalar(cx.arg(args, 2)?)?.unwrap_or(1.0);
    var(cx, args, correction)
}

pub fn var_unbiased(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let unbiased = cx.bool(cx.arg(args, 2)?)?;
    var(cx, args, if unbiased { 1.0 } else { 0.0 })
}

/// var_mean.correction_out: `[x, dims?, correction?, keepdim, var, mean]`.
pub fn var_mean(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let correction = cx.opt_scalar(cx.arg(args, 2)?)?.unwrap_or(1.0);
    var(cx, args, correction)?;
    let x = cx.input(cx.arg(args, 0)?)?;
    let dims = cx.opt_int_list(cx.arg(args, 1)?)?;
    let mean = cx.output(cx.arg(args, 5)?)?;
    cx.expect_dtype(&[mean], DType::F32)?;
    let dims = reduced(cx, x, dims, mean)?;
    cx.push(Op::Mean { dims }, vec![x], vec![mean]);
    Ok(())
}

fn var(cx: &mut Cx<'_, '_>, args: &[usize], correction: f64) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dims = cx.opt_int_list(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 4)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    let dims = reduced(cx, x, dims, out)?;
    cx.push(Op::Var { dims, correction }, vec![x], vec![out]);
    Ok(())
}

fn list(cx: &mut Cx<'_, '_>, args: &[usize], f: ReduceFn, dims: Option<Vec<i64>>, out_arg: usize) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let out = cx.output(cx.arg(args, out_arg)?)?;
    let (din, dout) = (cx.ty(x).dtype, cx.ty(out).dtype);
    match f {
        ReduceFn::Sum | ReduceFn::Prod if dout == DType::Bool => return Err(cx.invalid("a sum or product into bool is not supported")),
        ReduceFn::Max | ReduceFn::Min if din != dout => return Err(cx.invalid(format!("input {din} and output {dout} differ"))),
        _ => {}
    }
    let dims = reduced(cx, x, dims, out)?;
    cx.push(Op::Reduce { f, dims }, vec![x], vec![out]);
    Ok(())
}

fn arg(cx: &mut Cx<'_, '_>, args: &[usize], f: ReduceFn) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = if cx.is_null(cx.arg(args, 1)?)? { None } else { Some(cx.int(cx.arg(args, 1)?)?) };
    let out = cx.output(cx.arg(args, 3)?)?;
    cx.expect_dtype(&[out], DType::I64)?;
    if cx.ty(x).dtype == DType::Bool {
        return Err(cx.invalid("argmax/argmin of bool is not supported by ExecuTorch"));
    }
    let dims = reduced(cx, x, dim.map(|d| vec![d]), out)?;
    cx.push(Op::Reduce { f, dims }, vec![x], vec![out]);
    Ok(())
}

fn with_index(cx: &mut Cx<'_, '_>, args: &[usize], f: ReduceFn) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let values = cx.output(cx.arg(args, 3)?)?;
    let indices = cx.output(cx.arg(args, 4)?)?;
    cx.expect_dtype(&[indices], DType::I64)?;
    if cx.ty(values).dtype != cx.ty(x).dtype || cx.ty(values).shape != cx.ty(indices).shape {
        return Err(cx.invalid("values must keep the input's dtype and match the indices' shape"));
    }
    let dims = reduced(cx, x, Some(vec![dim]), values)?;
    cx.push(Op::Reduce { f, dims }, vec![x], vec![values, indices]);
    Ok(())
}

pub fn cumsum(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let dim = cx.dim(dim, cx.ty(x).shape.len())?;
    if cx.ty(out).shape != cx.ty(x).shape || cx.ty(out).dtype == DType::Bool {
        return Err(cx.invalid("cumsum keeps the input's shape, into a numeric dtype"));
    }
    cx.push(Op::Cumsum { dim }, vec![x], vec![out]);
    Ok(())
}

pub fn topk(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let k = cx.int(cx.arg(args, 1)?)?;
    let dim = cx.int(cx.arg(args, 2)?)?;
    let largest = cx.bool(cx.arg(args, 3)?)?;
    let values = cx.output(cx.arg(args, 5)?)?;
    let indices = cx.output(cx.arg(args, 6)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = cx.dim(dim, shape.len())?;
    let k = usize::try_from(k).ok().filter(|&k| k <= shape.get(dim).copied().unwrap_or(1));
    let k = k.ok_or_else(|| cx.invalid("k is out of range for the dim"))?;
    let mut expect = shape;
    if let Some(s) = expect.get_mut(dim) {
        *s = k;
    }
    cx.expect_dtype(&[indices], DType::I64)?;
    if cx.ty(values).shape != expect || cx.ty(indices).shape != expect || cx.ty(values).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("values and indices must be {expect:?} of the input's dtype")));
    }
    cx.push(Op::Topk { k, dim, largest }, vec![x], vec![values, indices]);
    Ok(())
}

/// The normalised, sorted dims (all of them for none or an empty list),
/// checked against the output's size.
fn reduced(cx: &Cx<'_, '_>, x: ValueId, dims: Option<Vec<i64>>, out: ValueId) -> Result<Vec<usize>> {
    let shape = &cx.ty(x).shape;
    let mut dims = match dims.filter(|d| !d.is_empty()) {
        Some(d) => d.iter().map(|&d| cx.dim(d, shape.len())).collect::<Result<Vec<_>>>()?,
        None => (0..shape.len()).collect(),
    };
    dims.sort_unstable();
    dims.dedup();
    let kept: usize = shape.iter().enumerate().filter(|(d, _)| !dims.contains(d)).map(|(_, &s)| s).product();
    if kept != cx.ty(out).numel() {
        return Err(cx.invalid("output size does not match the reduced input"));
    }
    Ok(dims)
}
