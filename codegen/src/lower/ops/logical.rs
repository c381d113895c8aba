//! logical_and/or/xor (`[a, b, out]`), logical_not and bitwise_not (`[x, out]`).

use super::binary::check_broadcast;
use crate::error::Result;
use crate::ir::{DType, LogicFn, Op};
use crate::lower::cx::Cx;

pub fn binary(cx: &mut Cx<'_, '_>, args: &[usize], f: LogicFn) -> Result<()> {
    let a = cx.input(cx.arg(args, 0)?)?;
    let b = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    check_broadcast(cx, &[a, b], out)?;
    cx.push(Op::Logical(f), vec![a, b], vec![out]);
    Ok(())
}

pub fn logical_not(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    not(cx, args, false)
}

/// On bools it is the logical not; floats have no bits to flip.
pub fn bitwise_not(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    not(cx, args, true)
}

fn not(cx: &mut Cx<'_, '_>, args: &[usize], bitwise: bool) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let out = cx.output(cx.arg(args, 1)?)?;
    if cx.ty(x).shape != cx.ty(out).shape {
        return Err(cx.invalid("input and output shapes differ"));
    }
    if bitwise && (cx.ty(x).dtype == DType::F32 || cx.ty(x).dtype != cx.ty(out).dtype) {
        return Err(cx.invalid(format!("bitwise_not needs one integer or bool dtype, found {} -> {}", cx.ty(x).dtype, cx.ty(out).dtype)));
    }
    cx.push(Op::Not { bitwise }, vec![x], vec![out]);
    Ok(())
}
