//! Copies that may change dtype: `_to_dim_order_copy` and `_clone_dim_order`
//! (`[x, non_blocking, dim_order?, out]`)
//! and clones (`[x, memory_format or dim_order, out]`).

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::Cx;

pub fn to_dim_order_copy(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, cx.arg(args, 0)?, cx.arg(args, 3)?)
}

pub fn clone(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    lower(cx, cx.arg(args, 0)?, cx.arg(args, 2)?)
}

fn lower(cx: &mut Cx<'_, '_>, x: usize, out: usize) -> Result<()> {
    // Tensor types are checked contiguous, so a dim-order change cannot reach here.
    let x = cx.input(x)?;
    let out = cx.output(out)?;
    if cx.ty(x).numel() != cx.ty(out).numel() {
        return Err(cx.invalid("input and output sizes differ"));
    }
    let op = if cx.ty(x).dtype == cx.ty(out).dtype { Op::Copy } else { Op::Cast };
    cx.push(op, vec![x], vec![out]);
    Ok(())
}
