//! _cdist_forward.out `[x1, x2, p, compute_mode?, out]`, _pdist_forward.out `[x, p, out]`
//! and masked_scatter.out `[x, mask, src, out]`.

use super::binary::check_broadcast;
use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn cdist(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x1 = cx.input(cx.arg(args, 0)?)?;
    let x2 = cx.input(cx.arg(args, 1)?)?;
    let p = cx.scalar(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 4)?)?;
    cx.expect_dtype(&[x1, x2, out], DType::F32)?;
    let (a, b, o) = (cx.ty(x1).shape.clone(), cx.ty(x2).shape.clone(), cx.ty(out).shape.clone());
    let r = o.len();
    let fits = r >= 2 && a.len() >= 2 && b.len() >= 2 && a[a.len() - 1] == b[b.len() - 1] && o[r - 2] == a[a.len() - 2] && o[r - 1] == b[b.len() - 2];
    if !fits || p < 0.0 {
        return Err(cx.invalid(format!("cdist of {a:?} and {b:?} into {o:?} (p {p}) is not supported")));
    }
    // Batch dims broadcast: both sides are widened to the output's batch.
    let batch = &o[..r - 2];
    let mut wa = batch.to_vec();
    wa.extend(&a[a.len() - 2..]);
    let mut wb = batch.to_vec();
    wb.extend(&b[b.len() - 2..]);
    if !super::binary::broadcasts_to(&a, &wa) || !super::binary::broadcasts_to(&b, &wb) {
        return Err(cx.invalid("cdist batch dims do not broadcast"));
    }
    let (x1, x2) = (cx.broadcast_to(x1, &wa), cx.broadcast_to(x2, &wb));
    cx.push(Op::Cdist { p }, vec![x1, x2], vec![out]);
    Ok(())
}

pub fn pdist(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let p = cx.scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    let xs = cx.ty(x).shape.clone();
    if xs.len() != 2 || cx.ty(out).numel() != xs[0] * xs[0].saturating_sub(1) / 2 || p < 0.0 {
        return Err(cx.invalid(format!("pdist of {xs:?} (p {p}) is not supported")));
    }
    cx.push(Op::Pdist { p }, vec![x], vec![out]);
    Ok(())
}

pub fn masked_scatter(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let mask = cx.input(cx.arg(args, 1)?)?;
    let src = cx.input(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    cx.expect_dtype(&[mask], DType::Bool)?;
    if cx.ty(src).dtype != cx.ty(x).dtype || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid("masked_scatter keeps one dtype"));
    }
    check_broadcast(cx, &[x, mask], out)?;
    let shape = cx.ty(out).shape.clone();
    let (x, mask) = (cx.broadcast_to(x, &shape), cx.broadcast_to(mask, &shape));
    cx.push(Op::MaskedScatter, vec![x, mask, src], vec![out]);
    Ok(())
}
