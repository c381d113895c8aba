//! add, sub (`[a, b, alpha, out]`), mul, div (`[a, b, out]`), with broadcasting.

use crate::error::Result;
use crate::ir::{BinaryFn, DType, Op};
use crate::lower::cx::Cx;

pub fn add(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let alpha = cx.scalar(cx.arg(args, 2)?)?;
    lower(cx, args, BinaryFn::Add, alpha, 3)
}

pub fn sub(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let alpha = cx.scalar(cx.arg(args, 2)?)?;
    lower(cx, args, BinaryFn::Sub, alpha, 3)
}

pub fn mul(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, args, BinaryFn::Mul, 1.0, 2)
}

pub fn div(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, args, BinaryFn::Div, 1.0, 2)
}

fn lower(cx: &mut Cx<'_, '_>, args: &[usize], f: BinaryFn, alpha: f64, out_arg: usize) -> Result<()> {
    let a = cx.input(cx.arg(args, 0)?)?;
    let b = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, out_arg)?)?;
    cx.expect_dtype(&[a, b, out], DType::F32)?;
    let shape = &cx.ty(out).shape;
    for x in [a, b] {
        if !broadcasts_to(&cx.ty(x).shape, shape) {
            return Err(cx.invalid(format!("shape {:?} does not broadcast to {:?}", cx.ty(x).shape, shape)));
        }
    }
    cx.push(Op::Binary { f, alpha }, vec![a, b], vec![out]);
    Ok(())
}

/// Numpy-style: align right, each dim equal or 1.
pub fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len() && from.iter().rev().zip(to.iter().rev()).all(|(&f, &t)| f == t || f == 1)
}
