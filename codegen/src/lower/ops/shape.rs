//! Shape and fill ops that ExecuTorch's default decomposition usually removes,
//! each mapped onto etch's gathers, views, fills and elementwise ops:
//! stack, t_copy, transpose_copy, narrow_copy, squeeze_copy.dim, split_copy,
//! unbind_copy, detach/lift_fresh/_to_copy, glu, logit, roll, tril, pixel_shuffle/unshuffle, select_scatter and the
//! reflection/replication pads.

use crate::error::Result;
use crate::ir::{BinaryFn, DType, Op, Storage, TensorType, UnaryFn, ValueId};
use crate::lower::cx::{strides, Cx};

/// stack.out: `[tensors, dim, out]`, a cat along a new dim of views.
pub fn stack(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let parts = cx.tensor_list(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let mut inputs = Vec::new();
    for p in parts {
        inputs.push(cx.input(p)?);
    }
    let first = *inputs.first().ok_or_else(|| cx.invalid("stack of no tensors"))?;
    let shape = cx.ty(first).shape.clone();
    let dim = cx.dim(dim, shape.len() + 1)?;
    let mut expect = shape.clone();
    expect.insert(dim, inputs.len());
    if inputs.iter().any(|&i| cx.ty(i).shape != shape || cx.ty(i).dtype != cx.ty(out).dtype) || cx.ty(out).shape != expect {
        return Err(cx.invalid(format!("parts of shape {shape:?} do not stack into {:?}", cx.ty(out).shape)));
    }
    let views: Vec<ValueId> = inputs.iter().map(|&i| cx.unsqueeze(i, dim)).collect();
    cx.push(Op::Concat { dim }, views, vec![out]);
    Ok(())
}

/// t_copy.out: `[x, out]`, the transpose of a matrix (a copy for rank 0 and 1).
pub fn t(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let rank = cx.ty(x).shape.len();
    let out = cx.arg(args, 1)?;
    if rank < 2 {
        return same(cx, cx.arg(args, 0)?, out, Op::Copy);
    }
    swap(cx, cx.arg(args, 0)?, 0, 1, out)
}

/// transpose_copy.int_out: `[x, dim0, dim1, out]`.
pub fn transpose(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.arg(args, 0)?;
    let (a, b) = (cx.int(cx.arg(args, 1)?)?, cx.int(cx.arg(args, 2)?)?);
    swap(cx, x, a, b, cx.arg(args, 3)?)
}

fn swap(cx: &mut Cx<'_, '_>, x: usize, a: i64, b: i64, out: usize) -> Result<()> {
    let x = cx.input(x)?;
    let out = cx.output(out)?;
    let shape = cx.ty(x).shape.clone();
    let (a, b) = (cx.dim(a, shape.len())?, cx.dim(b, shape.len())?);
    let mut perm: Vec<usize> = (0..shape.len()).collect();
    perm.swap(a, b);
    let expect: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    let s = strides(&shape);
    cx.push(Op::Gather { offset: 0, strides: perm.iter().map(|&p| s[p]).collect() }, vec![x], vec![out]);
    Ok(())
}

/// narrow_copy.out: `[x, dim, start, length, out]`.
pub fn narrow(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = cx.dim(cx.int(cx.arg(args, 1)?)?, shape.len())?;
    let size = shape.get(dim).copied().unwrap_or(1) as i64;
    let start = cx.int(cx.arg(args, 2)?)?;
    let start = if start < 0 { start + size } else { start };
    let length = cx.int(cx.arg(args, 3)?)?;
    let out = cx.output(cx.arg(args, 4)?)?;
    if start < 0 || length < 0 || start.checked_add(length).is_none_or(|end| end > size) {
        return Err(cx.invalid(format!("narrow {start}..+{length} is outside a dim of {size}")));
    }
    let mut expect = shape.clone();
    expect[dim] = length as usize;
    if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    let s = strides(&shape);
    cx.push(Op::Gather { offset: start as usize * s[dim], strides: s }, vec![x], vec![out]);
    Ok(())
}

/// split_copy.Tensor_out: `[x, split_size, dim, outs]`: parts of `split_size`, the last shorter.
pub fn split(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let size = cx.int(cx.arg(args, 1)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = cx.dim(cx.int(cx.arg(args, 2)?)?, shape.len())?;
    let outs = cx.tensor_list(cx.arg(args, 3)?)?;
    parts(cx, x, dim, &outs, usize::try_from(size).unwrap_or(0), false)
}

/// unbind_copy.int_out: `[x, dim, outs]`: every index along `dim`, the dim dropped.
pub fn unbind(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = cx.dim(cx.int(cx.arg(args, 1)?)?, shape.len())?;
    let outs = cx.tensor_list(cx.arg(args, 2)?)?;
    parts(cx, x, dim, &outs, 1, true)
}

fn parts(cx: &mut Cx<'_, '_>, x: ValueId, dim: usize, outs: &[usize], size: usize, drop: bool) -> Result<()> {
    let shape = cx.ty(x).shape.clone();
    let n = shape.get(dim).copied().unwrap_or(1);
    if size == 0 || outs.len() != n.div_ceil(size).max(usize::from(n == 0)) {
        return Err(cx.invalid(format!("{} parts do not split a dim of {n} by {size}", outs.len())));
    }
    let s = strides(&shape);
    for (k, &o) in outs.iter().enumerate() {
        let out = cx.output(o)?;
        let len = size.min(n - (k * size).min(n));
        let (mut expect, mut st) = (shape.clone(), s.clone());
        expect[dim] = len;
        if drop {
            expect.remove(dim);
            st.remove(dim);
        }
        if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
            return Err(cx.invalid(format!("part shape {:?} is not {expect:?}", cx.ty(out).shape)));
        }
        cx.push(Op::Gather { offset: k * size * s[dim], strides: st }, vec![x], vec![out]);
    }
    Ok(())
}

/// squeeze_copy.dim_out: `[x, dim, out]`.
pub fn squeeze_dim(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    same(cx, cx.arg(args, 0)?, cx.arg(args, 2)?, Op::Copy)?;
    let x = cx.input(cx.arg(args, 0)?)?;
    cx.same_memory_layout(cx.arg(args, 2)?, x)
}

/// detach_copy, lift_fresh_copy: `[x, out]`.
pub fn identity(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    same(cx, cx.arg(args, 0)?, cx.arg(args, 1)?, Op::Copy)
}

/// _to_copy.out: `[x, non_blocking, memory_format?, out]`, a cast.
pub fn to_copy(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    same(cx, cx.arg(args, 0)?, cx.arg(args, 3)?, Op::Cast)
}

/// Same element count; a cast between dtypes becomes `Op::Cast`.
fn same(cx: &mut Cx<'_, '_>, x: usize, out: usize, op: Op) -> Result<()> {
    let x = cx.input(x)?;
    let out = cx.output(out)?;
    if cx.ty(x).numel() != cx.ty(out).numel() || (op == Op::Copy && cx.ty(x).dtype != cx.ty(out).dtype) {
        return Err(cx.invalid("input and output sizes or dtypes differ"));
    }
    let op = if cx.ty(x).dtype == cx.ty(out).dtype { Op::Copy } else { op };
    cx.push(op, vec![x], vec![out]);
    Ok(())
}

/// glu.out: `[x, dim, out]`: the first half times the sigmoid of the second.
pub fn glu(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = cx.dim(cx.int(cx.arg(args, 1)?)?, shape.len())?;
    let out = cx.output(cx.arg(args, 2)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    let n = shape.get(dim).copied().unwrap_or(0);
    let mut half = shape.clone();
    half[dim] = n / 2;
    if n % 2 != 0 || cx.ty(out).shape != half {
        return Err(cx.invalid(format!("glu halves a dim of even size; found {n}")));
    }
    let s = strides(&shape);
    let ty = TensorType { dtype: DType::F32, shape: half };
    let (a, b, g) = (cx.temp(ty.clone(), Storage::Arena), cx.temp(ty.clone(), Storage::Arena), cx.temp(ty, Storage::Arena));
    cx.push(Op::Gather { offset: 0, strides: s.clone() }, vec![x], vec![a]);
    cx.push(Op::Gather { offset: n / 2 * s[dim], strides: s }, vec![x], vec![b]);
    cx.push(Op::Unary(UnaryFn::Sigmoid), vec![b], vec![g]);
    cx.push(Op::Binary { f: BinaryFn::Mul, alpha: 1.0 }, vec![a, g], vec![out]);
    Ok(())
}

/// logit.out: `[x, eps?, out]`: `log(x / (1 - x))` in f32, `x` first clamped to `[eps, 1 - eps]`.
pub fn logit(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let mut x = cx.input(cx.arg(args, 0)?)?;
    let eps = cx.opt_scalar(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    cx.expect_dtype(&[x, out], DType::F32)?;
    let ty = cx.ty(x).clone();
    if let Some(e) = eps {
        let c = cx.temp(ty.clone(), Storage::Arena);
        cx.push(Op::Clamp { min: Some(e), max: Some(1.0 - e) }, vec![x], vec![c]);
        x = c;
    }
    let one = cx.scalar_const(1.0, DType::F32);
    let (rest, ratio) = (cx.temp(ty.clone(), Storage::Arena), cx.temp(ty, Storage::Arena));
    cx.push(Op::Binary { f: BinaryFn::Sub, alpha: 1.0 }, vec![one, x], vec![rest]);
    cx.push(Op::Binary { f: BinaryFn::Div, alpha: 1.0 }, vec![x, rest], vec![ratio]);
    cx.push(Op::Unary(UnaryFn::Log), vec![ratio], vec![out]);
    Ok(())
}

/// roll.out: `[x, shifts, dims, out]`, one shift per dim (ExecuTorch refuses
/// the flattened form without dims).
pub fn roll(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let shifts = cx.int_list(cx.arg(args, 1)?)?;
    let dims = cx.int_list(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 3)?)?;
    let shape = cx.ty(x).shape.clone();
    if dims.is_empty() || shifts.len() != dims.len() || cx.ty(out).shape != shape || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid("roll needs one shift per dim and keeps the input's shape"));
    }
    let mut per = vec![0usize; shape.len()];
    for (&s, &d) in shifts.iter().zip(&dims) {
        let d = cx.dim(d, shape.len())?;
        let n = shape[d].max(1) as i64;
        per[d] = ((per[d] as i64 + s.rem_euclid(n)) % n) as usize;
    }
    cx.push(Op::Roll { shifts: per }, vec![x], vec![out]);
    Ok(())
}

/// tril.out: `[x, diagonal, out]`.
pub fn tril(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let diagonal = cx.int(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    if cx.ty(x).shape.len() < 2 || cx.ty(out).shape != cx.ty(x).shape || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid("tril needs a matrix (or a batch of them) and keeps its shape"));
    }
    cx.push(Op::Tril { diagonal }, vec![x], vec![out]);
    Ok(())
}

/// pixel_shuffle.out: `[x, r, out]`: `[n, c*r*r, h, w]` → `[n, c, h*r, w*r]`.
pub fn pixel_shuffle(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    shuffle(cx, args, true)
}

/// pixel_unshuffle.out: `[x, r, out]`: `[n, c, h*r, w*r]` → `[n, c*r*r, h, w]`.
pub fn pixel_unshuffle(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    shuffle(cx, args, false)
}

/// The output viewed as 6 dims, filled by one strided gather.
fn shuffle(cx: &mut Cx<'_, '_>, args: &[usize], up: bool) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let r = usize::try_from(cx.int(cx.arg(args, 1)?)?).unwrap_or(0);
    let out = cx.output(cx.arg(args, 2)?)?;
    let (xs, os) = (cx.ty(x).shape.clone(), cx.ty(out).shape.clone());
    if xs.len() < 3 || os.len() != xs.len() || r == 0 || r > 1 << 12 || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("pixel shuffle of {xs:?} by {r} is not supported")));
    }
    let k = xs.len() - 3;
    let lead: usize = xs[..k].iter().product();
    let (c, h, w) = if up { (xs[k] / (r * r), xs[k + 1], xs[k + 2]) } else { (xs[k], xs[k + 1] / r, xs[k + 2] / r) };
    let expect_out = if up { [c, h * r, w * r] } else { [c * r * r, h, w] };
    let fits = os[..k] == xs[..k] && os[k..] == expect_out && (if up { xs[k] == c * r * r } else { xs[k + 1] == h * r && xs[k + 2] == w * r });
    if !fits {
        return Err(cx.invalid(format!("pixel shuffle of {xs:?} by {r} does not give {os:?}")));
    }
    let st = strides(&[lead, xs[k], xs[k + 1], xs[k + 2]]);
    let (shape, s) = if up {
        // out[l, c, y, i, x, j] = x[l, c*r*r + i*r + j, y, x]
        (vec![lead, c, h, r, w, r], vec![st[0], r * r * st[1], st[2], r * st[1], st[3], st[1]])
    } else {
        // out[l, c, i, j, y, x] = x[l, c, y*r + i, x*r + j]
        (vec![lead, c, r, r, h, w], vec![st[0], st[1], st[2], st[3], r * st[2], r * st[3]])
    };
    let wide = cx.reshape_output(out, shape);
    cx.push(Op::Gather { offset: 0, strides: s }, vec![x], vec![wide]);
    Ok(())
}

/// select_scatter.out: `[x, src, dim, index, out]`: an index_put of one slice.
pub fn select_scatter(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let src = cx.input(cx.arg(args, 1)?)?;
    let shape = cx.ty(x).shape.clone();
    let dim = cx.dim(cx.int(cx.arg(args, 2)?)?, shape.len())?;
    let n = shape.get(dim).copied().unwrap_or(1) as i64;
    let index = cx.int(cx.arg(args, 3)?)?;
    let index = if index < 0 { index + n } else { index };
    let out = cx.output(cx.arg(args, 4)?)?;
    let mut slice = shape.clone();
    slice.remove(dim);
    if !(0..n).contains(&index) || cx.ty(src).shape != slice || cx.ty(out).shape != shape || cx.ty(src).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("src {:?} at index {index} does not fit {shape:?}", cx.ty(src).shape)));
    }
    let values = cx.unsqueeze(src, dim);
    let at = cx.index_const(&[index]);
    cx.push(Op::IndexPut { dim, accumulate: false }, vec![x, values, at], vec![out]);
    Ok(())
}

/// reflection_pad{1,2,3}d.out and replication_pad{1,2,3}d.out: `[x, padding, out]`,
/// padding as (left, right, top, bottom, front, back) from the last dim on.
pub fn reflection(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    pad(cx, args, true)
}

pub fn replication(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    pad(cx, args, false)
}

fn pad(cx: &mut Cx<'_, '_>, args: &[usize], reflect: bool) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let padding = cx.int_list(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let xs = cx.ty(x).shape.clone();
    let k = padding.len() / 2;
    if padding.len() % 2 != 0 || k > xs.len() || padding.iter().any(|&p| !(0..=1 << 20).contains(&p)) {
        return Err(cx.invalid(format!("padding {padding:?} does not fit rank {}", xs.len())));
    }
    let mut before = vec![0; xs.len()];
    let mut expect = xs.clone();
    for j in 0..k {
        let d = xs.len() - 1 - j;
        let (lo, hi) = (padding[2 * j] as usize, padding[2 * j + 1] as usize);
        if reflect && (lo >= xs[d] || hi >= xs[d]) {
            return Err(cx.invalid(format!("reflection padding {padding:?} must be smaller than the dims {xs:?}")));
        }
        before[d] = lo;
        expect[d] += lo + hi;
    }
    if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype || xs.contains(&0) {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    cx.push(Op::PadEdges { before, reflect }, vec![x], vec![out]);
    Ok(())
}
