//! Nodes that move elements: transpose, reshape, concatenate, max pooling.

use super::layout::{identity, is_permutation, then, NHWC};
use super::X;
use crate::error::Result;
use crate::ir::{Op, Pool2d};
use crate::pte::xnnpack::{Node, Pool};

/// Free: the result is the input held in another layout.
pub fn transpose(x: &mut X<'_, '_, '_, '_>, node: &Node, perm: &[usize], input: u32) -> Result<()> {
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    let expect: Option<Vec<usize>> = is_permutation(perm, dims.len()).then(|| perm.iter().map(|&p| dims[p]).collect());
    if expect.as_ref() != Some(&out) {
        return Err(x.cx.invalid(format!("perm {perm:?} does not take {dims:?} to {out:?}")));
    }
    let t = x.input(input)?;
    let held = then(&t.perm, perm);
    x.finish(node, t.id, held)
}

pub fn reshape(x: &mut X<'_, '_, '_, '_>, node: &Node, input: u32) -> Result<()> {
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    if dims.iter().product::<usize>() != out.iter().product::<usize>() {
        return Err(x.cx.invalid(format!("reshape of {dims:?} to {out:?} changes the element count")));
    }
    let a = x.input_as(input, &identity(dims.len()))?;
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
    let [top, right, bottom, left] = pool.padding;
    if top != bottom || left != right || node.flags & !KEEP_DIMS != 0 {
        return Err(x.cx.invalid(format!("padding {:?} is not symmetric, or flags {:#x} are set", pool.padding, node.flags)));
    }
    let dims = x.value(input)?.dims.clone();
    let out = x.value(node.output)?.dims.clone();
    let size = |i: usize, k: usize, p: usize, s: usize, d: usize| {
        (s > 0 && d > 0 && k > 0 && i + 2 * p >= d * (k - 1) + 1).then(|| (i + 2 * p - d * (k - 1) - 1) / s + 1)
    };
    let ok = dims.len() == 4
        && out.len() == 4
        && out[0] == dims[0]
        && out[3] == dims[3]
        && size(dims[1], pool.kernel[0], top, pool.stride[0], pool.dilation[0]) == Some(out[1])
        && size(dims[2], pool.kernel[1], left, pool.stride[1], pool.dilation[1]) == Some(out[2]);
    if !ok {
        return Err(x.cx.invalid(format!("pooling {dims:?} to {out:?} does not fit its window")));
    }
    let a = x.input_as(input, &NHWC)?;
    let r = x.result(node, &NHWC)?;
    let op = Pool2d { kernel: pool.kernel, stride: pool.stride, padding: [top, left], dilation: pool.dilation };
    x.cx.push(Op::MaxPool2d(op), vec![a], vec![r]);
    x.finish(node, r, NHWC.to_vec())
}
