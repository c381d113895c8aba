//! max_pool2d_with_indices.out:
//! `[x, kernel, stride, padding, dilation, ceil_mode, out, indices, ret]`.

use super::conv::pair;
use crate::error::Result;
use crate::ir::{DType, Op, Pool2d};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let kernel = pair(cx, cx.arg(args, 1)?, "kernel_size")?;
    let stride = if cx.int_list(cx.arg(args, 2)?)?.is_empty() { kernel } else { pair(cx, cx.arg(args, 2)?, "stride")? };
    let padding = pair(cx, cx.arg(args, 3)?, "padding")?;
    let dilation = pair(cx, cx.arg(args, 4)?, "dilation")?;
    if kernel.contains(&0) || stride.contains(&0) || dilation.contains(&0) {
        return Err(cx.invalid("kernel, stride and dilation must be at least 1"));
    }
    let out = cx.output(cx.arg(args, 6)?)?;
    let indices = cx.output(cx.arg(args, 7)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    cx.expect_dtype(&[indices], DType::I64)?;
    let (xs, os) = (&cx.ty(x).shape, &cx.ty(out).shape);
    if xs.len() != 4 || os.len() != 4 || xs[..2] != os[..2] || cx.ty(indices).shape != *os {
        return Err(cx.invalid(format!("unexpected shapes: input {xs:?}, output {os:?}")));
    }
    cx.push(Op::MaxPool2d(Pool2d { kernel, stride, padding, dilation }), vec![x], vec![out, indices]);
    Ok(())
}
