//! split_with_sizes_copy.out: `[x, sizes, dim, outs, ret]`. One gather per part.

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::{strides, Cx};

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let sizes = cx.int_list(cx.arg(args, 1)?)?;
    let dim = cx.int(cx.arg(args, 2)?)?;
    let outs = cx.tensor_list(cx.arg(args, 3)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = cx.dim(dim, shape.len())?;
    if sizes.len() != outs.len() || sizes.iter().any(|&s| s < 0) || sizes.iter().sum::<i64>() != shape[dim] as i64 {
        return Err(cx.invalid(format!("split sizes {sizes:?} do not add up to {}", shape[dim])));
    }
    let s = strides(&shape);
    let mut start = 0;
    for (&size, &o) in sizes.iter().zip(&outs) {
        let out = cx.output(o)?;
        let mut expect = shape.clone();
        expect[dim] = size as usize;
        if expect != cx.ty(out).shape {
            return Err(cx.invalid(format!("part shape {:?} is not {expect:?}", cx.ty(out).shape)));
        }
        cx.push(Op::Gather { offset: start * s[dim], strides: s.clone() }, vec![x], vec![out]);
        start += size as usize;
    }
    Ok(())
}
