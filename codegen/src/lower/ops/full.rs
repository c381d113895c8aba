//! full.out (`[size, value, out]`), full_like.out (`[x, value, memory_format?, out]`)
//! and scalar_tensor.out (`[value, out]`); zeros, ones, empty, fill and masked_fill;
//! rand and randn.

use super::binary::check_broadcast;
use crate::error::Result;
use crate::ir::{DType, Op, Storage, TensorType};
use crate::lower::cx::Cx;

pub fn full(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    cx.push(Op::Fill { value }, vec![], vec![out]);
    Ok(())
}

pub fn full_like(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    cx.push(Op::Fill { value }, vec![], vec![out]);
    Ok(())
}

pub fn scalar_tensor(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.scalar(cx.arg(args, 0)?)?;
    let out = cx.output(cx.arg(args, 1)?)?;
    if cx.ty(out).numel() != 1 {
        return Err(cx.invalid("scalar_tensor needs a one-element output"));
    }
    cx.push(Op::Fill { value }, vec![], vec![out]);
    Ok(())
}

/// rand.out and randn.out: `[size, out]`, drawn from the method's `seed`.
pub fn random(cx: &mut Cx<'_, '_>, args: &[usize], normal: bool) -> Result<()> {
    let out = cx.output(cx.arg(args, 1)?)?;
    cx.expect_dtype(&[out], DType::F32)?;
    // Streams are numbered in program order, so they stay put when a method's other ops change.
    let stream = cx.method.nodes.iter().filter(|n| matches!(n.op, Op::Random { .. })).count() as u64;
    cx.push(Op::Random { normal, stream }, vec![], vec![out]);
    Ok(())
}

/// zeros.out, ones.out, empty.out (zeros, a valid choice for uninitialised
/// memory): `[size, (memory_format,) out]`.
pub fn zeros(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    fill_out(cx, cx.arg(args, 1)?, 0.0)
}

pub fn ones(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    fill_out(cx, cx.arg(args, 1)?, 1.0)
}

pub fn empty(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    fill_out(cx, cx.arg(args, 2)?, 0.0)
}

/// fill.Scalar_out: `[x, value, out]`.
pub fn fill_scalar(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.scalar(cx.arg(args, 1)?)?;
    fill_out(cx, cx.arg(args, 2)?, value)
}

fn fill_out(cx: &mut Cx<'_, '_>, out: usize, value: f64) -> Result<()> {
    let out = cx.output(out)?;
    cx.push(Op::Fill { value }, vec![], vec![out]);
    Ok(())
}

/// fill.Tensor_out: `[x, value, out]`, a one-element tensor everywhere.
pub fn fill_tensor(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    if cx.ty(value).numel() != 1 {
        return Err(cx.invalid("the fill value must hold one element"));
    }
    let one = cx.temp(TensorType { dtype: cx.ty(value).dtype, shape: vec![] }, Storage::View { base: value, offset: 0 });
    let shape = cx.ty(out).shape.clone();
    let wide = cx.broadcast_to(one, &shape);
    let op = if cx.ty(wide).dtype == cx.ty(out).dtype { Op::Copy } else { Op::Cast };
    cx.push(op, vec![wide], vec![out]);
    Ok(())
}

/// masked_fill.Scalar_out: `[x, mask, value, out]`: `where(mask, value, x)`.
pub fn masked_fill(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let mask = cx.input(cx.arg(args, 1)?)?;
    let value = cx.scalar(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    cx.expect_dtype(&[mask], DType::Bool)?;
    if cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid("masked_fill keeps the input's dtype"));
    }
    let v = cx.scalar_const(value, cx.ty(x).dtype);
    check_broadcast(cx, &[x, mask], out)?;
    cx.push(Op::Where, vec![mask, v, x], vec![out]);
    Ok(())
}
