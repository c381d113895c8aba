//! abs, neg, exp, tanh, sigmoid, relu, sqrt, rsqrt: `[x, out]`.

use crate::error::Result;
use crate::ir::{DType, Op, UnaryFn};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize], f: UnaryFn) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let out = cx.output(cx.arg(args, 1)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    if cx.ty(x).shape != cx.ty(out).shape {
        return Err(cx.invalid("input and output shapes differ"));
    }
    cx.push(Op::Unary(f), vec![x], vec![out]);
    Ok(())
}
