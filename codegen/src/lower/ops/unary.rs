//! Elementwise math (abs, neg, exp, log1p, trunc, round, sign, erf, the trig family, isnan, ...): `[x, out]`; gelu: `[x, approximate, out]`;
//! leaky_relu: `[x, slope, out]`; elu: `[x, alpha, scale, input_scale, out]`.

use crate::error::Result;
use crate::ir::{DType, Op, UnaryFn};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize], f: UnaryFn) -> Result<()> {
    push(cx, args, f, 1)
}

pub fn gelu(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let f = match cx.string(cx.arg(args, 1)?)? {
        "none" => UnaryFn::Gelu,
        "tanh" => UnaryFn::GeluTanh,
        other => return Err(cx.invalid(format!("unknown gelu approximation {other:?}"))),
    };
    push(cx, args, f, 2)
}

pub fn leaky_relu(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let slope = cx.scalar(cx.arg(args, 1)?)?;
    push_op(cx, args, Op::LeakyRelu { slope }, 2)
}

pub fn elu(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let [alpha, scale, input_scale] = [1, 2, 3].map(|i| cx.arg(args, i).and_then(|a| cx.scalar(a)));
    push_op(cx, args, Op::Elu { alpha: alpha?, scale: scale?, input_scale: input_scale? }, 4)
}

fn push(cx: &mut Cx<'_, '_>, args: &[usize], f: UnaryFn, out_arg: usize) -> Result<()> {
    push_op(cx, args, Op::Unary(f), out_arg)
}

fn push_op(cx: &mut Cx<'_, '_>, args: &[usize], op: Op, out_arg: usize) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let out = cx.output(cx.arg(args, out_arg)?)?;
    let (din, dout) = (cx.ty(x).dtype, cx.ty(out).dtype);
    // Integer inputs: some ops keep the dtype, the rest compute in f32, as in ExecuTorch.
    let ok = match op {
        Op::Unary(UnaryFn::IsNan | UnaryFn::IsInf) => dout == DType::Bool,
        Op::Unary(UnaryFn::Sign) if din == DType::Bool => dout == DType::Bool,
        Op::Unary(f) if f.keeps_ints() && din != DType::Bool => din == dout,
        Op::Unary(_) => dout == DType::F32,
        _ => din == DType::F32 && dout == DType::F32,
    };
    if !ok {
        return Err(cx.invalid(format!("dtype {din} -> {dout} is not supported here")));
    }
    if cx.ty(x).shape != cx.ty(out).shape {
        return Err(cx.invalid("input and output shapes differ"));
    }
    cx.push(op, vec![x], vec![out]);
    Ok(())
}
