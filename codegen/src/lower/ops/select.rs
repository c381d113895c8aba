//! select_copy.int_out: `[x, dim, index, out]`.

use crate::error::Result;
use crate::ir::Op;
use crate::lower::cx::{strides, Cx};

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let index = cx.int(cx.arg(args, 2)?)?;
    let dim = cx.dim(dim, cx.ty(x).shape.len())?;
    if cx.syms.sym(x, dim).is_some() {
        return super::prim::select_runtime(cx, x, dim, index, cx.arg(args, 3)?);
    }
    let out = cx.output(cx.arg(args, 3)?)?;
    let shape = cx.ty(x).shape.clone();
    let size = shape[dim] as i64;
    let i = if index < 0 { index + size } else { index };
    if !(0..size).contains(&i) {
        return Err(cx.invalid(format!("index {index} is out of range for size {size}")));
    }
    let mut s = strides(&shape);
    let offset = i as usize * s[dim];
    s.remove(dim);
    let mut expect = shape;
    expect.remove(dim);
    if expect != cx.ty(out).shape || cx.ty(x).dtype != cx.ty(out).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    cx.push(Op::Gather { offset, strides: s }, vec![x], vec![out]);
    Ok(())
}
