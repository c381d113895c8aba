//! _native_batch_norm_legit_no_training.out:
//! `[x, weight?, bias?, running_mean, running_var, momentum, eps, out, save_mean, save_invstd, ret]`.
//! Only `out` carries data in the no-training form; the saved statistics are empty.

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let weight = cx.opt_input(cx.arg(args, 1)?)?;
    let bias = cx.opt_input(cx.arg(args, 2)?)?;
    let mean = cx.input(cx.arg(args, 3)?)?;
    let var = cx.input(cx.arg(args, 4)?)?;
    let eps = cx.scalar(cx.arg(args, 6)?)?;
    let out = cx.output(cx.arg(args, 7)?)?;
    for extra in [8, 9] {
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
