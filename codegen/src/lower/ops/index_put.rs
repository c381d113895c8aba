//! index_put.out: `[x, indices, values, accumulate, out]`, for one index
//! tensor (the others null): the slices of `x` along its dim at the indices
//! are set to (or incremented by) `values`.

use super::binary::broadcasts_to;
use crate::error::Result;
use crate::ir::{DType, Op, Storage, TensorType};
use crate::lower::cx::{strides, Cx};

pub fn lower(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let indices = cx.opt_tensor_list(cx.arg(args, 1)?)?;
    let mut values = cx.input(cx.arg(args, 2)?)?;
    let accumulate = cx.bool(cx.arg(args, 3)?)?;
    let out = cx.output(cx.arg(args, 4)?)?;
    let shape = cx.ty(x).shape.clone();
    let given: Vec<(usize, usize)> = indices.iter().enumerate().filter_map(|(d, i)| Some((d, (*i)?))).collect();
    let [(dim, index)] = given[..] else {
        return Err(cx.invalid(format!("index_put with {} index tensors is not supported yet (only one)", given.len())));
    };
    if indices.len() > shape.len() {
        return Err(cx.invalid("more indices than dims"));
    }
    let index = cx.input(index)?;
    if !matches!(cx.ty(index).dtype, DType::I64 | DType::I32) {
        return Err(cx.invalid(format!("indices are {}; boolean masks are not supported yet", cx.ty(index).dtype)));
    }
    if cx.ty(out).shape != shape || cx.ty(out).dtype != cx.ty(x).dtype || cx.ty(values).dtype != cx.ty(x).dtype {
        return Err(cx.invalid("index_put must keep the input's shape and dtype"));
    }
    // The indexed region, laid out [x dims before, index dims, x dims after].
    let mut region = shape[..dim].to_vec();
    region.extend(&cx.ty(index).shape);
    region.extend(&shape[dim + 1..]);
    let vs = cx.ty(values).shape.clone();
    if vs != region {
        if !broadcasts_to(&vs, &region) {
            return Err(cx.invalid(format!("values of shape {vs:?} do not broadcast to {region:?}")));
        }
        let ty = TensorType { dtype: cx.ty(values).dtype, shape: region.clone() };
        let expanded = cx.temp(ty, Storage::Arena);
        let own = strides(&vs);
        let lead = region.len() - vs.len();
        let s = (0..region.len())
            .map(|d| match d.checked_sub(lead) {
                Some(vd) if vs[vd] != 1 => own[vd],
                _ => 0,
            })
            .collect();
        cx.push(Op::Gather { offset: 0, strides: s }, vec![values], vec![expanded]);
        values = expanded;
    }
    cx.check_const_index(index, shape[dim], true)?;
    cx.push(Op::IndexPut { dim, accumulate }, vec![x, values, index], vec![out]);
    Ok(())
}
