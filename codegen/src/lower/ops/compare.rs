//! eq, ne, lt, le, gt, ge: `.Tensor_out` (`[a, b, out]`) and `.Scalar_out`
//! (`[a, scalar, out]`), compared in the promoted dtype.

use super::binary::check_broadcast;
use super::promote::{promote, with_scalar};
use crate::error::Result;
use crate::ir::{CmpFn, Op};
use crate::lower::cx::Cx;

pub fn tensor(cx: &mut Cx<'_, '_>, args: &[usize], f: CmpFn) -> Result<()> {
    let a = cx.input(cx.arg(args, 0)?)?;
    let b = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    push(cx, f, a, b, out)
}

pub fn scalar(cx: &mut Cx<'_, '_>, args: &[usize], f: CmpFn) -> Result<()> {
    let a = cx.input(cx.arg(args, 0)?)?;
    let (value, kind) = cx.typed_scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let b = cx.scalar_const(value, with_scalar(cx.ty(a).dtype, kind));
    push(cx, f, a, b, out)
}

fn push(cx: &mut Cx<'_, '_>, f: CmpFn, a: usize, b: usize, out: usize) -> Result<()> {
    if promote(cx.ty(a).dtype, cx.ty(b).dtype).is_none() {
        return Err(cx.invalid(format!("cannot compare {} with {}", cx.ty(a).dtype, cx.ty(b).dtype)));
    }
    check_broadcast(cx, &[a, b], out)?;
    cx.push(Op::Compare(f), vec![a, b], vec![out]);
    Ok(())
}
