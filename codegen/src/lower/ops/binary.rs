//! add, sub (`[a, b, alpha, out]`), mul, div, maximum, minimum (`[a, b, out]`) with broadcasting,
//! and their `.Scalar` forms, where `b` is a scalar.

use super::promote::{compute_dtype, with_scalar};
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

pub fn maximum(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, args, BinaryFn::Maximum, 1.0, 2)
}

pub fn minimum(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, args, BinaryFn::Minimum, 1.0, 2)
}

pub fn add_scalar(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let alpha = cx.scalar(cx.arg(args, 2)?)?;
    scalar(cx, args, BinaryFn::Add, alpha, 3)
}

pub fn sub_scalar(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let alpha = cx.scalar(cx.arg(args, 2)?)?;
    scalar(cx, args, BinaryFn::Sub, alpha, 3)
}

pub fn mul_scalar(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    scalar(cx, args, BinaryFn::Mul, 1.0, 2)
}

pub fn div_scalar(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    scalar(cx, args, BinaryFn::Div, 1.0, 2)
}

fn lower(cx: &mut Cx<'_, '_>, args: &[usize], f: BinaryFn, alpha: f64, out_arg: usize) -> Result<()> {
    let a = cx.input(cx.arg(args, 0)?)?;
    let b = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, out_arg)?)?;
    push(cx, f, alpha, a, b, out)
}

/// The scalar becomes a one-element weight of the promoted dtype.
fn scalar(cx: &mut Cx<'_, '_>, args: &[usize], f: BinaryFn, alpha: f64, out_arg: usize) -> Result<()> {
    let a = cx.input(cx.arg(args, 0)?)?;
    let (value, kind) = cx.typed_scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, out_arg)?)?;
    let b = cx.scalar_const(value, with_scalar(cx.ty(a).dtype, kind));
    push(cx, f, alpha, a, b, out)
}

fn push(cx: &mut Cx<'_, '_>, f: BinaryFn, alpha: f64, a: usize, b: usize, out: usize) -> Result<()> {
    let compute = compute_dtype(f, cx.ty(a).dtype, cx.ty(b).dtype)
        .ok_or_else(|| cx.invalid(format!("no arithmetic on {} and {}", cx.ty(a).dtype, cx.ty(b).dtype)))?;
    if compute == DType::Bool || (alpha != 1.0 && !compute.is_float() && alpha.fract() != 0.0) {
        return Err(cx.invalid(format!("alpha {alpha} does not apply to {compute}")));
    }
    check_broadcast(cx, &[a, b], out)?;
    cx.push(Op::Binary { f, alpha }, vec![a, b], vec![out]);
    Ok(())
}

/// Fails unless every input broadcasts to the output's shape.
pub fn check_broadcast(cx: &Cx<'_, '_>, inputs: &[usize], out: usize) -> Result<()> {
    let shape = &cx.ty(out).shape;
    for &x in inputs {
        if !broadcasts_to(&cx.ty(x).shape, shape) {
            return Err(cx.invalid(format!("shape {:?} does not broadcast to {:?}", cx.ty(x).shape, shape)));
        }
    }
    Ok(())
}

/// Numpy-style: align right, each dim equal or 1.
pub fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len() && from.iter().rev().zip(to.iter().rev()).all(|(&f, &t)| f == t || f == 1)
}
