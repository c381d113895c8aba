//! _native_batch_norm_legit_no_training.out:
//! `[x, weight?, bias?, running_mean, running_var, momentum, eps, out, save_mean, save_invstd, ret]`.
//! Only `out` carries data in the no-training form; the saved statistics are empty.
//! _native_batch_norm_legit.out (`[x, weight?, bias?, running_mean, running_var, training,
//! momentum, eps, out, save_mean, save_invstd]`) is the same when `training` is false, the
//! only form ExecuTorch runs. The `no_stats` form (instance norm) normalises by each
//! channel's own statistics (`BatchStatNorm`).

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    push(cx, args, 6)
}

pub fn legit(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    if cx.bool(cx.arg(args, 5)?)? {
        return Err(cx.invalid("batch norm in training mode is not supported (ExecuTorch runs only training=False)"));
    }
    push(cx, args, 7)
}

/// `[x, weight?, bias?, training, momentum, eps, out, mean, invstd]`.
pub fn no_stats(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let weight = cx.opt_input(cx.arg(args, 1)?)?;
    let bias = cx.opt_input(cx.arg(args, 2)?)?;
    let eps = cx.scalar(cx.arg(args, 5)?)?;
    let outs = [6, 7, 8].map(|i| cx.arg(args, i));
    let mut ids = Vec::new();
    for o in outs {
        ids.push(cx.output(o?)?);
    }
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    cx.expect_dtype(&inputs, DType::F32)?;
    cx.expect_dtype(&ids, DType::F32)?;
    let xs = cx.ty(x).shape.clone();
    let c = xs.get(1).copied().unwrap_or(0);
    if xs.len() < 2 || cx.ty(ids[0]).shape != xs || cx.ty(ids[1]).numel() != c || cx.ty(ids[2]).numel() != c || inputs[1..].iter().any(|&v| cx.ty(v).numel() != c) {
        return Err(cx.invalid(format!("unexpected shapes around input {xs:?}")));
    }
    cx.push(Op::BatchStatNorm { eps, has_weight: weight.is_some(), has_bias: bias.is_some() }, inputs, ids);
    Ok(())
}

fn push(cx: &mut Cx<'_, '_>, args: &[usize], eps_arg: usize) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let weight = cx.opt_input(cx.arg(args, 1)?)?;
    let bias = cx.opt_input(cx.arg(args, 2)?)?;
    let mean = cx.input(cx.arg(args, 3)?)?;
    let var = cx.input(cx.arg(args, 4)?)?;
    let eps = cx.scalar(cx.arg(args, eps_arg)?)?;
    let out = cx.output(cx.arg(args, eps_arg + 1)?)?;
    for extra in [eps_arg + 2, eps_arg + 3] {
        let v = cx.output(cx.arg(args, extra)?)?;
        if cx.ty(v).numel() != 0 {
            return Err(cx.invalid("saved statistics must be empty in the no-training form"));
        }
    }
    let mut inputs = vec![x, mean, var];
    inputs.extend(weight);
    inputs.extend(bias);
    cx.expect_dtype(&inputs, DType::F32)?;
    let xs = &cx.ty(x).shape;
    if xs.len() < 2 || cx.ty(out).shape != *xs {
        return Err(cx.invalid(format!("unexpected input shape {xs:?}")));
    }
    let c = xs[1];
    if inputs[1..].iter().any(|&v| cx.ty(v).numel() != c) {
        return Err(cx.invalid("per-channel parameters differ from the channel count"));
    }
    let op = Op::BatchNorm { eps, has_weight: weight.is_some(), has_bias: bias.is_some() };
    cx.push(op, inputs, vec![out]);
    Ok(())
}
