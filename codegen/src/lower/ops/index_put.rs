//! index_put.out: `[x, indices, values, accumulate, out]`, for integer index
//! tensors on adjacent dims (the others null, as `x[:, i, j] = v` gives):
//! the elements of `x` they pick are set to (or incremented by) `values`.

use super::binary::broadcasts_to;
use crate::error::Result;
use crate::ir::{DType, Op};
use crate::lower::cx::Cx;

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let list = cx.opt_tensor_list(cx.arg(args, 1)?)?;
    let mut values = cx.input(cx.arg(args, 2)?)?;
    let accumulate = cx.bool(cx.arg(args, 3)?)?;
    let out = cx.output(cx.arg(args, 4)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = list.iter().position(Option::is_some).ok_or_else(|| cx.invalid("index_put needs an index tensor"))?;
    let count = list[dim..].iter().take_while(|i| i.is_some()).count();
    if list[dim + count..].iter().any(Option::is_some) || list.len() > shape.len() {
        return Err(cx.invalid("index tensors on non-adjacent dims are not supported yet"));
    }
    let mut indices = Vec::new();
    for &i in list[dim..dim + count].iter().flatten() {
        indices.push(cx.input(i)?);
    }
    let dtype = cx.ty(indices[0]).dtype;
    if !matches!(dtype, DType::I64 | DType::I32) || indices.iter().any(|&i| cx.ty(i).dtype != dtype) {
        return Err(cx.invalid("indices must all be i64 or all i32 (boolean masks are not supported yet)"));
    }
    if cx.ty(out).shape != shape || cx.ty(out).dtype != cx.ty(x).dtype || cx.ty(values).dtype != cx.ty(x).dtype {
        return Err(cx.invalid("index_put must keep the input's shape and dtype"));
    }
    // The indices broadcast together; the region they pick is
    // [dims before, index shape, dims after].
    let mut b: Vec<usize> = Vec::new();
    for &i in &indices {
        let s = &cx.ty(i).shape;
        let rank = b.len().max(s.len());
        let at = |v: &[usize], d: usize| if d + v.len() >= rank { v[d + v.len() - rank] } else { 1 };
        b = (0..rank).map(|d| at(&b, d).max(at(s, d))).collect();
    }
    if indices.iter().any(|&i| !broadcasts_to(&cx.ty(i).shape, &b)) {
        return Err(cx.invalid("index tensors do not broadcast together"));
    }
    let mut region = shape[..dim].to_vec();
    region.extend(&b);
    region.extend(&shape[dim + count..]);
    let vs = cx.ty(values).shape.clone();
    if !broadcasts_to(&vs, &region) {
        return Err(cx.invalid(format!("values of shape {vs:?} do not broadcast to {region:?}")));
    }
    values = cx.broadcast_to(values, &region);
    for (k, i) in indices.iter_mut().enumerate() {
        cx.check_const_index(*i, shape[dim + k], true)?;
        *i = cx.broadcast_to(*i, &b);
    }
    let mut inputs = vec![x, values];
    inputs.extend(indices);
    cx.push(Op::IndexPut { dim, accumulate }, inputs, vec![out]);
    Ok(())
}
