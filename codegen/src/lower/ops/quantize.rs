//! `quantized_decomposed`: quantize_per_tensor.out (`[x, scale, zero_point, min, max, dtype, out]`),
//! dequantize_per_tensor.out (`[q, scale, zero_point, min, max, dtype, out_dtype?, out]`) and
//! dequantize_per_channel.out (`[q, scales, zero_points?, axis, min, max, dtype, out_dtype?, out]`).

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::{dtype, Cx};
use crate::pte::ScalarType;

pub fn quantize_per_tensor(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let scale = cx.scalar(cx.arg(args, 1)?)?;
    let zero_point = cx.int(cx.arg(args, 2)?)?;
    let (min, max) = (cx.int(cx.arg(args, 3)?)?, cx.int(cx.arg(args, 4)?)?);
    let q = quant_dtype(cx, cx.arg(args, 5)?)?;
    let out = cx.output(cx.arg(args, 6)?)?;
    cx.expect_dtype(&[x], DType::F32)?;
    cx.expect_dtype(&[out], q)?;
    let (lo, hi) = range(q);
    if min < lo || max > hi || min > max {
        return Err(cx.invalid(format!("quant range [{min}, {max}] is outside {q}'s [{lo}, {hi}]")));
    }
    same_shape(cx, x, out)?;
    check_zero_point(cx, zero_point)?;
    cx.push(Op::Quantize { scale, zero_point, min, max }, vec![x], vec![out]);
    Ok(())
}

pub fn dequantize_per_tensor(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let q = cx.input(cx.arg(args, 0)?)?;
    let scale = cx.scalar(cx.arg(args, 1)?)?;
    let zero_point = cx.int(cx.arg(args, 2)?)?;
    check_dequantize(cx, q, args.get(3..).unwrap_or_default())?;
    let out = cx.output(cx.arg(args, 7)?)?;
    same_shape(cx, q, out)?;
    check_zero_point(cx, zero_point)?;
    cx.push(Op::Dequantize { scale, zero_point }, vec![q], vec![out]);
    Ok(())
}

pub fn dequantize_per_channel(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let q = cx.input(cx.arg(args, 0)?)?;
    let scales = cx.input(cx.arg(args, 1)?)?;
    let zero_points = cx.opt_input(cx.arg(args, 2)?)?;
    let rank = cx.ty(q).shape.len();
    let axis = cx.dim(cx.int(cx.arg(args, 3)?)?, rank)?;
    check_dequantize(cx, q, args.get(4..).unwrap_or_default())?;
    let out = cx.output(cx.arg(args, 8)?)?;
    same_shape(cx, q, out)?;
    cx.expect_dtype(&[scales], DType::F32)?;
    let channels = cx.ty(q).shape.get(axis).copied().unwrap_or(1);
    let mut inputs = vec![q, scales];
    if let Some(z) = zero_points {
        let d = cx.ty(z).dtype;
        if d != DType::I64 && d != DType::I32 {
            return Err(cx.invalid(format!("zero points of dtype {d} (expected i64 or i32)")));
        }
        inputs.push(z);
    }
    for &v in &inputs[1..] {
        if cx.ty(v).numel() != channels {
            return Err(cx.invalid(format!("{} scales or zero points for {channels} channels", cx.ty(v).numel())));
        }
    }
    cx.push(Op::DequantizePerChannel { axis }, inputs, vec![out]);
    Ok(())
}

/// `[min, max, dtype, out_dtype?]` of a dequantize: the input is of `dtype`, the output f32.
fn check_dequantize(cx: &Cx<'_, '_>, q: usize, rest: &[usize]) -> Result<()> {
    let (min, max) = (cx.int(cx.arg(rest, 0)?)?, cx.int(cx.arg(rest, 1)?)?);
    let d = quant_dtype(cx, cx.arg(rest, 2)?)?;
    cx.expect_dtype(&[q], d)?;
    if min > max {
        return Err(cx.invalid(format!("quant_min {min} is above quant_max {max}")));
    }
    let out_dtype = cx.arg(rest, 3)?;
    if !cx.is_null(out_dtype)? && dtype(ScalarType::from_code(code(cx, out_dtype)?)) != Some(DType::F32) {
        return Err(cx.invalid("only an f32 out_dtype is supported"));
    }
    Ok(())
}

fn quant_dtype(cx: &Cx<'_, '_>, index: usize) -> Result<DType> {
    match dtype(ScalarType::from_code(code(cx, index)?)) {
        Some(d @ (DType::I8 | DType::U8)) => Ok(d),
        _ => Err(cx.invalid(format!("quantized dtype code {} is not supported (int8 and uint8 are)", cx.int(index)?))),
    }
}

fn code(cx: &Cx<'_, '_>, index: usize) -> Result<i8> {
    let c = cx.int(index)?;
    i8::try_from(c).map_err(|_| cx.invalid(format!("bad dtype code {c}")))
}

fn range(d: DType) -> (i64, i64) {
    if d == DType::U8 {
        (0, 255)
    } else {
        (-128, 127)
    }
}

/// ExecuTorch narrows zero points to i32.
fn check_zero_point(cx: &Cx<'_, '_>, zp: i64) -> Result<()> {
    i32::try_from(zp).map(|_| ()).map_err(|_| cx.invalid(format!("zero point {zp} does not fit in i32")))
}

fn same_shape(cx: &Cx<'_, '_>, a: usize, b: usize) -> Result<()> {
    if cx.ty(a).shape != cx.ty(b).shape {
        return Err(cx.invalid("input and output shapes differ"));
    }
    Ok(())
}
