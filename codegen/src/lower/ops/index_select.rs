//! embedding.out (`[weight, indices, padding_idx, scale_grad, sparse, out]`)
//! and index_select.out (`[x, dim, index, out]`).

use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn embedding(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let weight = cx.input(cx.arg(args, 0)?)?;
    let index = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 5)?)?;
    let ws = cx.ty(weight).shape.clone();
    if ws.len() != 2 {
        return Err(cx.invalid(format!("the embedding table has shape {ws:?}, not [rows, dim]")));
    }
    let mut expect = cx.ty(index).shape.clone();
    expect.push(ws[1]);
    push(cx, weight, index, out, 0, expect, true)
}

pub fn index_select(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let index = cx.input(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let shape = cx.ty(x).shape.clone();
    if shape.is_empty() || cx.ty(index).shape.len() > 1 {
        return Err(cx.invalid("index_select needs a tensor of rank 1 or more and an index of rank 0 or 1"));
    }
    let dim = cx.dim(dim, shape.len())?;
    let mut expect = shape;
    expect[dim] = cx.ty(index).numel();
    push(cx, x, index, out, dim, expect, false)
}

fn push(cx: &mut Cx<'_, '_>, x: usize, index: usize, out: usize, dim: usize, expect: Vec<usize>, embedding: bool) -> Result<()> {
    if !matches!(cx.ty(index).dtype, DType::I64 | DType::I32) {
        return Err(cx.invalid(format!("indices are {}, not i64 or i32", cx.ty(index).dtype)));
    }
    if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    let size = cx.ty(x).shape[dim];
    cx.check_const_index(index, size, false)?;
    cx.push(Op::IndexSelect { dim, embedding }, vec![x, index], vec![out]);
    Ok(())
}
