//! Nodes that move elements: transpose, reshape, concatenate, pad, slice,
//! pooling and resizing.

use super::layout::{identity, is_permutation, then, Tracked, NHWC};
use super::X;
use crate::error::Result;
use crate::ir::{DType, Op, Pool2d, Storage, TensorType};
use crate::lower::ops::conv::out_size;
use crate::pte::xnnpack::{Node, Pool};

/// Free: the result is the input held in another layout.
pub fn transpose(x: &mut X<'_, '_, '_, '_>, node: &Node, perm: &[usize], input: u32) -> Result<()> {
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    let expect: Option<Vec<usize>> = is_permutation(perm, dims.len()).then(|| perm.iter().map(|&p| dims[p]).collect());
    if expect.as_ref() != Some(&out) {
        return Err(x.cx.invalid(format!("perm {perm:?} does not take {dims:?} to {out:?}")));
    }
    let t = x.moved(input, node)?;
    let held = then(&t.perm, perm);
    x.finish(node, t.id, held)
}

pub fn reshape(x: &mut X<'_, '_, '_, '_>, node: &Node, input: u32) -> Result<()> {
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    if dims.iter().product::<usize>() != out.iter().product::<usize>() {
        return Err(x.cx.invalid(format!("reshape of {dims:?} to {out:?} changes the element count")));
    }
    let t = x.moved(input, node)?;
    let a = x.ensure(&t, &identity(dims.len()))?;
    let r = x.reshape(a, out.clone());
    x.finish(node, r, identity(out.len()))
}

pub fn concat(x: &mut X<'_, '_, '_, '_>, node: &Node, axis: usize, inputs: &[u32]) -> Result<()> {
    let out = x.value(node.output)?.dims.clone();
    let mut total = 0;
    for &i in inputs {
        let d = &x.value(i)?.dims;
        let same_rest = d.len() == out.len() && d.iter().zip(&out).enumerate().all(|(k, (a, b))| k == axis || a == b);
        if axis >= out.len() || !same_rest {
            return Err(x.cx.invalid(format!("input {d:?} does not concatenate into {out:?} along {axis}")));
        }
        total += d[axis];
    }
    if total != out[axis] {
        return Err(x.cx.invalid(format!("inputs add up to {total} along dim {axis}, the output has {}", out[axis])));
    }
    let parts = inputs.iter().map(|&i| x.input_as(i, &identity(out.len()))).collect::<Result<Vec<_>>>()?;
    let r = x.result(node, &identity(out.len()))?;
    x.cx.push(Op::Concat { dim: axis }, parts, vec![r]);
    x.finish(node, r, identity(out.len()))
}

/// XNNPACK's flag to keep the rank: the output dims say so already.
const KEEP_DIMS: u32 = 0x40;

pub fn pool(x: &mut X<'_, '_, '_, '_>, node: &Node, pool: &Pool, input: u32) -> Result<()> {
    let p = window(x, node, pool, input)?;
    let a = x.input_as(input, &NHWC)?;
    let r = x.result(node, &NHWC)?;
    let op = if pool.max {
        Op::MaxPool2d(p)
    } else if p.dilation == [1, 1] {
        // XNNPACK averages over the in-bounds part of each window.
        Op::AvgPool2d { pool: p, count_include_pad: false, divisor: None }
    } else {
        return Err(x.cx.invalid("average pooling with dilation is not supported"));
    };
    x.cx.push(op, vec![a], vec![r]);
    x.finish(node, r, NHWC.to_vec())
}

/// Max pooling with each maximum's index inside its window, as i64: ExecuTorch
/// widens XNNPACK's u32 indices into the program's int64 tensor.
pub fn argmax_pool(x: &mut X<'_, '_, '_, '_>, node: &Node, pool: &Pool, input: u32, index: u32) -> Result<()> {
    let p = window(x, node, pool, input)?;
    if x.value(index)?.dims != x.value(node.output)?.dims {
        return Err(x.cx.invalid(format!("index value {index} and value {} differ in dims", node.output)));
    }
    let a = x.input_as(input, &NHWC)?;
    let r = x.result(node, &NHWC)?;
    let shape = x.cx.ty(r).shape.clone();
    let i = x.cx.temp(TensorType { dtype: DType::I64, shape }, Storage::Arena);
    x.cx.push(Op::ArgMaxPool2d(p), vec![a], vec![r, i]);
    x.values.insert(index, Tracked { id: i, perm: NHWC.to_vec() });
    x.finish(node, r, NHWC.to_vec())
}

/// A pooling node's window, checked against its input and output dims.
fn window(x: &mut X<'_, '_, '_, '_>, node: &Node, pool: &Pool, input: u32) -> Result<Pool2d> {
    let [top, right, bottom, left] = pool.padding;
    // ExecuTorch emulates PyTorch's ceil_mode with extra padding at the bottom
    // and right; windows are clipped to the input, so that padding only adds
    // the output rows and columns the dims below must show.
    if bottom < top || right < left || node.flags & !KEEP_DIMS != 0 {
        return Err(x.cx.invalid(format!("padding {:?} is smaller at the end, or flags {:#x} are set", pool.padding, node.flags)));
    }
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    let ok = dims.len() == 4
        && out.len() == 4
        && out[0] == dims[0]
        && out[3] == dims[3]
        && dims[1].checked_add(bottom - top).and_then(|h| out_size(h, pool.kernel[0], top, pool.stride[0], pool.dilation[0])) == Some(out[1])
        && dims[2].checked_add(right - left).and_then(|w| out_size(w, pool.kernel[1], left, pool.stride[1], pool.dilation[1])) == Some(out[2]);
    if !ok {
        return Err(x.cx.invalid(format!("pooling {dims:?} to {out:?} does not fit its window")));
    }
    Ok(Pool2d { kernel: pool.kernel, stride: pool.stride, padding: [top, left], dilation: pool.dilation })
}

/// Constant padding, in whatever layout the input is held.
pub fn pad(x: &mut X<'_, '_, '_, '_>, node: &Node, before: &[usize], after: &[usize], value: f32, input: u32) -> Result<()> {
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    let rank = dims.len();
    let fits = before.len() == rank
        && after.len() == rank
        && out.len() == rank
        && (0..rank).all(|d| before[d].checked_add(after[d]).and_then(|p| p.checked_add(dims[d])) == Some(out[d]));
    if !fits {
        return Err(x.cx.invalid(format!("padding {dims:?} by {before:?} and {after:?} does not give {out:?}")));
    }
    let t = x.input(input)?;
    let mut held = vec![0; rank];
    for (d, &p) in t.perm.iter().enumerate() {
        held[p] = before[d];
    }
    let r = x.result(node, &t.perm)?;
    x.cx.push(Op::Pad { before: held, value: f64::from(value) }, vec![t.id], vec![r]);
    x.finish(node, r, t.perm)
}

/// A window of the input, read in place (a view when it is contiguous).
pub fn slice(x: &mut X<'_, '_, '_, '_>, node: &Node, offsets: &[usize], sizes: &[usize], input: u32) -> Result<()> {
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    let rank = dims.len();
    let fits = offsets.len() == rank
        && sizes.len() == rank
        && out.len() == rank
        && (0..rank).all(|d| (sizes[d] == out[d] || sizes[d] == 0) && offsets[d].checked_add(out[d]).is_some_and(|e| e <= dims[d]));
    if !fits {
        return Err(x.cx.invalid(format!("a slice of {dims:?} at {offsets:?} does not give {out:?}")));
    }
    let t = x.moved(input, node)?;
    let strides = crate::lower::strides(&x.cx.ty(t.id).shape);
    let mut offset = 0;
    let mut held = vec![0; rank];
    for (d, &p) in t.perm.iter().enumerate() {
        offset += offsets[d] * strides[p];
        held[p] = strides[p];
    }
    let r = x.result_as(node, &t.perm, x.cx.ty(t.id).dtype)?;
    x.cx.push(Op::Gather { offset, strides: held }, vec![t.id], vec![r]);
    x.finish(node, r, t.perm)
}

/// XNNPACK's flag for corner-aligned sampling; without it, half-pixel centres.
const ALIGN_CORNERS: u32 = 8;

/// Bilinear resizing of NHWC planes to the output's height and width.
pub fn resize(x: &mut X<'_, '_, '_, '_>, node: &Node, input: u32) -> Result<()> {
    if node.flags & !ALIGN_CORNERS != 0 {
        return Err(x.cx.invalid(format!("flags {:#x} are not supported", node.flags)));
    }
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    let ok = dims.len() == 4 && out.len() == 4 && dims[0] == out[0] && dims[3] == out[3] && !dims.contains(&0) && !out.contains(&0);
    if !ok {
        return Err(x.cx.invalid(format!("resizing {dims:?} to {out:?} is not a 2-d resize")));
    }
    let align_corners = node.flags & ALIGN_CORNERS != 0;
    let ratio = |d: usize| crate::lower::ops::resize::ratio(dims[d], out[d], align_corners, out[d] as f64 / dims[d] as f64);
    let a = x.input_as(input, &NHWC)?;
    let r = x.result(node, &NHWC)?;
    x.cx.push(Op::ResizeBilinear { align_corners, ratio: [ratio(1), ratio(2)] }, vec![a], vec![r]);
    x.finish(node, r, NHWC.to_vec())
}
