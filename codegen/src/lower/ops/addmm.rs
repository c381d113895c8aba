//! addmm.out (`[bias, a, b, beta, alpha, out]`), mm.out and bmm.out (`[a, b, out]`).

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn addmm(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let bias = cx.input(cx.arg(args, 0)?)?;
    let a = cx.input(cx.arg(args, 1)?)?;
    let b = cx.input(cx.arg(args, 2)?)?;
    let beta = cx.scalar(cx.arg(args, 3)?)?;
    let alpha = cx.scalar(cx.arg(args, 4)?)?;
    let out = cx.output(cx.arg(args, 5)?)?;
    cx.expect_dtype(&[bias, a, b, out], DType::F32)?;
    let (m, n) = check_mm(cx, a, b, out, 2)?;
    let bias_shape = &cx.ty(bias).shape;
    if !crate::lower::ops::binary::broadcasts_to(bias_shape, &[m, n]) {
        return Err(cx.invalid(format!("bias of shape {bias_shape:?} does not broadcast to [{m}, {n}]")));
    }
    cx.push(Op::Addmm { beta, alpha }, vec![bias, a, b], vec![out]);
    Ok(())
}

pub fn mm(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, args, Op::Mm, 2)
}

pub fn bmm(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, args, Op::Bmm, 3)
}

fn lower(cx: &mut Cx<'_, '_>, args: &[usize], op: Op, rank: usize) -> Result<()> {
    let a = cx.input(cx.arg(args, 0)?)?;
    let b = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    cx.expect_dtype(&[a, b, out], DType::F32)?;
    check_mm(cx, a, b, out, rank)?;
    cx.push(op, vec![a, b], vec![out]);
    Ok(())
}

/// Checks `[.., m, k] @ [.., k, n] = [.., m, n]`; returns `(m, n)`.
fn check_mm(cx: &Cx<'_, '_>, a: usize, b: usize, out: usize, rank: usize) -> Result<(usize, usize)> {
    let (sa, sb, so) = (&cx.ty(a).shape, &cx.ty(b).shape, &cx.ty(out).shape);
    let ok = sa.len() == rank
        && sb.len() == rank
        && so.len() == rank
        && sa[..rank - 2] == sb[..rank - 2]
        && sa[..rank - 2] == so[..rank - 2]
        && sa[rank - 1] == sb[rank - 2]
        && so[rank - 2] == sa[rank - 2]
        && so[rank - 1] == sb[rank - 1];
    if !ok {
        return Err(cx.invalid(format!("shapes {sa:?} @ {sb:?} -> {so:?} do not multiply")));
    }
    Ok((so[rank - 2], so[rank - 1]))
}
