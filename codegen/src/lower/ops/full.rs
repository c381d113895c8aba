//! full.out (`[size, value, out]`), full_like.out (`[x, value, memory_format?, out]`)
//! and scalar_tensor.out (`[value, out]`).

use crate::error::Result;
use crate::ir::Op;
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
    cx.expect_dtype(&[out], crate::ir::DType::F32)?;
    // Streams are numbered in program order, so they stay put when a method's other ops change.
    let stream = cx.method.nodes.iter().filter(|n| matches!(n.op, Op::Random { .. })).count() as u64;
    cx.push(Op::Random { normal, stream }, vec![], vec![out]);
    Ok(())
}
