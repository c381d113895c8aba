//! native_group_norm.out: `[x, weight?, bias?, n, c, hw, groups, eps, out, mean, rstd]`.

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let weight = cx.opt_input(cx.arg(args, 1)?)?;
    let bias = cx.opt_input(cx.arg(args, 2)?)?;
    let [n, c, hw, groups] = [3, 4, 5, 6].map(|i| cx.arg(args, i).and_then(|a| cx.int(a)).map(|v| usize::try_from(v).unwrap_or(usize::MAX)));
    let (n, c, hw, groups) = (n?, c?, hw?, groups?);
    let eps = cx.scalar(cx.arg(args, 7)?)?;
    let out = cx.output(cx.arg(args, 8)?)?;
    let mean = cx.output(cx.arg(args, 9)?)?;
    let rstd = cx.output(cx.arg(args, 10)?)?;
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    cx.expect_dtype(&inputs, DType::F32)?;
    cx.expect_dtype(&[out, mean, rstd], DType::F32)?;
    let xs = &cx.ty(x).shape;
    let fits = groups > 0 && c % groups == 0 && xs.first() == Some(&n) && xs.get(1) == Some(&c)
        && n.checked_mul(c).and_then(|v| v.checked_mul(hw)) == Some(cx.ty(x).numel())
        && cx.ty(out).shape == *xs && n.checked_mul(groups) == Some(cx.ty(mean).numel()) && n.checked_mul(groups) == Some(cx.ty(rstd).numel())
        && weight.is_none_or(|w| cx.ty(w).numel() == c) && bias.is_none_or(|b| cx.ty(b).numel() == c);
    if !fits {
        return Err(cx.invalid(format!("shapes do not fit n {n}, c {c}, hw {hw}, groups {groups}: input {xs:?}")));
    }
    let op = Op::GroupNorm { groups, eps, has_weight: weight.is_some(), has_bias: bias.is_some() };
    cx.push(op, inputs, vec![out, mean, rstd]);
    Ok(())
}
