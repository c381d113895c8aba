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

/// atan2, pow.Tensor_Tensor, floor_divide, remainder, fmod, bitwise and/or/xor: `[a, b, out]`.
pub fn tensor(cx: &mut Cx<'_, '_>, args: &[usize], f: BinaryFn) -> Result<()> {
    lower(cx, args, f, 1.0, 2)
}

/// remainder, fmod, bitwise and/or/xor `.Scalar_out`: `[a, scalar, out]`.
pub fn with_scalar_b(cx: &mut Cx<'_, '_>, args: &[usize], f: BinaryFn) -> Result<()> {
    scalar(cx, args, f, 1.0, 2)
}

/// div.out_mode: `[a, b, mode?, out]`.
pub fn div_mode(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let f = mode(cx, cx.arg(args, 2)?)?;
    lower(cx, args, f, 1.0, 3)
}

/// div.Scalar_mode_out: `[a, scalar, mode?, out]`.
pub fn div_scalar_mode(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let f = mode(cx, cx.arg(args, 2)?)?;
    scalar(cx, args, f, 1.0, 3)
}

fn mode(cx: &Cx<'_, '_>, index: usize) -> Result<BinaryFn> {
    if cx.is_null(index)? {
        return Ok(BinaryFn::Div);
    }
    match cx.string(index)? {
        "trunc" => Ok(BinaryFn::TruncDiv),
        "floor" => Ok(BinaryFn::FloorDiv),
        other => Err(cx.invalid(format!("unknown rounding mode {other:?}"))),
    }
}

/// pow.Scalar_out: `[base, exponent, out]`, a scalar base.
pub fn pow_scalar_base(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let (value, kind) = cx.typed_scalar(cx.arg(args, 0)?)?;
    let b = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let a = cx.scalar_const(value, with_scalar(cx.ty(b).dtype, kind));
    push(cx, BinaryFn::Pow, 1.0, a, b, out)
}

/// rsub.Scalar_out: `[a, scalar, alpha, out]`, `scalar - alpha * a`.
pub fn rsub_scalar(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let a = cx.input(cx.arg(args, 0)?)?;
    let (value, kind) = cx.typed_scalar(cx.arg(args, 1)?)?;
    let alpha = cx.scalar(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let s = cx.scalar_const(value, with_scalar(cx.ty(a).dtype, kind));
    push(cx, BinaryFn::Sub, alpha, s, a, out)
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
    let bitwise = matches!(f, BinaryFn::BitAnd | BinaryFn::BitOr | BinaryFn::BitXor);
    if (compute == DType::Bool && !bitwise) || (alpha != 1.0 && !compute.is_float() && alpha.fract() != 0.0) {
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
