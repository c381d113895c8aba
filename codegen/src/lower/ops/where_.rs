//! where.self_out: `[cond, a, b, out]`, broadcasting all three.

use super::binary::check_broadcast;
use super::promote::promote;
use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let cond = cx.input(cx.arg(args, 0)?)?;
    let a = cx.input(cx.arg(args, 1)?)?;
    let b = cx.input(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    if !matches!(cx.ty(cond).dtype, DType::Bool | DType::U8) {
        return Err(cx.invalid(format!("the condition is {}, not bool", cx.ty(cond).dtype)));
    }
    if promote(cx.ty(a).dtype, cx.ty(b).dtype) != Some(cx.ty(out).dtype) {
        return Err(cx.invalid(format!("{} and {} do not promote to the output's {}", cx.ty(a).dtype, cx.ty(b).dtype, cx.ty(out).dtype)));
    }
    check_broadcast(cx, &[cond, a, b], out)?;
    cx.push(Op::Where, vec![cond, a, b], vec![out]);
    Ok(())
}
