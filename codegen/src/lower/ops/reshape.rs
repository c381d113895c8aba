//! view_copy, squeeze_copy, unsqueeze_copy, alias_copy: same elements, new shape.
//! The input is argument 0 and the output the last tensor before the return value.

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    // ExecuTorch appends the returned tensor after `out`, so `out` is second to last.
    let out_arg = args.len().checked_sub(2).ok_or_else(|| cx.invalid("too few arguments"))?;
    let x = cx.input(cx.arg(args, 0)?)?;
    let out = cx.output(cx.arg(args, out_arg)?)?;
    if cx.ty(x).numel() != cx.ty(out).numel() || cx.ty(x).dtype != cx.ty(out).dtype {
        return Err(cx.invalid("a reshape must keep dtype and element count"));
    }
    // ExecuTorch copies the bytes: a new shape over another layout moves elements.
    cx.same_memory_layout(cx.arg(args, out_arg)?, x)?;
    cx.push(Op::Copy, vec![x], vec![out]);
    Ok(())
}
