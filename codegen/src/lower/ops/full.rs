//! full.out (`[size, value, out]`) and full_like.out (`[x, value, memory_format?, out]`).

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::Cx;

pub fn full(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    cx.push(Op::Fill { value }, vec![], vec![out]);
    Ok(())
}

pub fn full_like(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let value = cx.scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    cx.push(Op::Fill { value }, vec![], vec![out]);
    Ok(())
}
