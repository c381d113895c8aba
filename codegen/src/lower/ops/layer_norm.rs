//! native_layer_norm.out:
//! `[x, normalized_shape, weight?, bias?, eps, out, mean_out, rstd_out, ret]`.
//! The statistics become nodes of their own, so they vanish when unread.

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let normalized = cx.int_list(cx.arg(args, 1)?)?;
    let weight = cx.opt_input(cx.arg(args, 2)?)?;
    let bias = cx.opt_input(cx.arg(args, 3)?)?;
    let eps = cx.scalar(cx.arg(args, 4)?)?;
    let out = cx.output(cx.arg(args, 5)?)?;
    let mean = cx.output(cx.arg(args, 6)?)?;
    let rstd = cx.output(cx.arg(args, 7)?)?;
    let shape = cx.ty(x).shape.clone();
    let tail = shape.len().checked_sub(normalized.len()).filter(|_| !normalized.is_empty());
    let trailing: Vec<i64> = tail.map(|t| shape[t..].iter().map(|&n| n as i64).collect()).unwrap_or_default();
    if tail.is_none() || trailing != normalized {
        return Err(cx.invalid(format!("normalized shape {normalized:?} is not the end of {shape:?}")));
    }
    let inner: usize = normalized.iter().map(|&n| n as usize).product();
    let rows = cx.ty(x).numel().checked_div(inner).unwrap_or(0);
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    cx.expect_dtype(&inputs, DType::F32)?;
    cx.expect_dtype(&[out, mean, rstd], DType::F32)?;
    if inputs[1..].iter().any(|&v| cx.ty(v).numel() != inner) || cx.ty(out).shape != shape {
        return Err(cx.invalid("weight, bias or output do not match the input"));
    }
    if cx.ty(mean).numel() != rows || cx.ty(rstd).numel() != rows {
        return Err(cx.invalid("mean and rstd need one element per normalised row"));
    }
    let op = Op::LayerNorm { eps, inner, has_weight: weight.is_some(), has_bias: bias.is_some() };
    cx.push(op, inputs, vec![out]);
    cx.push(Op::LayerNormStat { eps, inner, rstd: false }, vec![x], vec![mean]);
    cx.push(Op::LayerNormStat { eps, inner, rstd: true }, vec![x], vec![rstd]);
    Ok(())
}
