//! Indexing and strided views: gather.out `[x, dim, index, sparse_grad, out]`,
//! index.Tensor_out `[x, indices, out]`, flip.out `[x, dims, out]`,
//! diagonal_copy.out `[x, offset, dim1, dim2, out]`, repeat.out `[x, repeats, out]`,
//! as_strided_copy.out `[x, size, stride, storage_offset?, out]`, unfold_copy.out `[x, dim, size, step, out]`.

use super::binary::broadcasts_to;
use crate::error::Result;
use crate::ir::{DType, Op, Storage, TensorType};
use crate::lower::cx::{strides, Cx};

pub fn gather(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dim = cx.int(cx.arg(args, 1)?)?;
    let index = cx.input(cx.arg(args, 2)?)?;
    let out = cx.output(cx.arg(args, 4)?)?;
    let (xs, is) = (cx.ty(x).shape.clone(), cx.ty(index).shape.clone());
    let dim = cx.dim(dim, xs.len())?;
    let fits = xs.len() == is.len() && is.iter().zip(&xs).enumerate().all(|(d, (&i, &s))| d == dim || i <= s);
    if !fits || cx.ty(out).shape != is || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("index {is:?} does not gather from {xs:?} along dim {dim}")));
    }
    cx.expect_dtype(&[index], DType::I64)?;
    let size = xs.get(dim).copied().unwrap_or(1);
    cx.check_const_index(index, size, false)?;
    cx.push(Op::GatherIndex { dim }, vec![x, index], vec![out]);
    Ok(())
}

/// Integer indices on adjacent dims (leading and trailing ones may be null).
pub fn index(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let list = cx.opt_tensor_list(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let xs = cx.ty(x).shape.clone();
    let first = list.iter().position(Option::is_some).ok_or_else(|| cx.invalid("index.Tensor needs an index tensor"))?;
    let count = list[first..].iter().take_while(|i| i.is_some()).count();
    if list[first + count..].iter().any(Option::is_some) || list.len() > xs.len() {
        return Err(cx.invalid("index tensors on non-adjacent dims are not supported yet"));
    }
    let mut indices = Vec::new();
    for &i in list[first..first + count].iter().flatten() {
        indices.push(cx.input(i)?);
    }
    if let (&[mask], 0) = (&indices[..], first) {
        if cx.ty(mask).dtype == DType::Bool {
            return masked_select(cx, x, mask, out);
        }
    }
    let dtype = cx.ty(indices[0]).dtype;
    if !matches!(dtype, DType::I64 | DType::I32) || indices.iter().any(|&i| cx.ty(i).dtype != dtype) {
        return Err(cx.invalid("indices must all be i64 or all i32 (boolean masks are not supported yet)"));
    }
    // The indices broadcast together.
    let mut b: Vec<usize> = Vec::new();
    for &i in &indices {
        let s = &cx.ty(i).shape;
        let rank = b.len().max(s.len());
        let dim = |v: &[usize], d: usize| if d + v.len() >= rank { v[d + v.len() - rank] } else { 1 };
        b = (0..rank).map(|d| dim(&b, d).max(dim(s, d))).collect();
    }
    if indices.iter().any(|&i| !broadcasts_to(&cx.ty(i).shape, &b)) {
        return Err(cx.invalid("index tensors do not broadcast together"));
    }
    let mut expect = xs[..first].to_vec();
    expect.extend(&b);
    expect.extend(&xs[first + count..]);
    if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    for (k, i) in indices.iter_mut().enumerate() {
        cx.check_const_index(*i, xs[first + k], true)?;
        *i = cx.broadcast_to(*i, &b);
    }
    let mut inputs = vec![x];
    inputs.extend(indices);
    cx.push(Op::IndexTensor { first }, inputs, vec![out]);
    Ok(())
}

/// `x[mask]`, the mask covering `x`'s leading dims: a data-dependent number of runs.
fn masked_select(cx: &mut Cx<'_, '_>, x: usize, mask: usize, out: usize) -> Result<()> {
    let (xs, ms) = (cx.ty(x).shape.clone(), cx.ty(mask).shape.clone());
    let mut expect = vec![ms.iter().product::<usize>()];
    expect.extend(&xs[ms.len().min(xs.len())..]);
    if ms.len() > xs.len() || xs[..ms.len()] != ms[..] || cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("a boolean mask {ms:?} must cover the leading dims of {xs:?} (output planned as {expect:?})")));
    }
    cx.push(Op::MaskedSelect, vec![x, mask], vec![out]);
    Ok(())
}

/// masked_select.out: `[x, mask, out]`: both broadcast together, the
/// selected elements in row-major order (a data-dependent count).
pub fn masked_select_out(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let mask = cx.input(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    cx.expect_dtype(&[mask], DType::Bool)?;
    let (a, b) = (cx.ty(x).shape.clone(), cx.ty(mask).shape.clone());
    let rank = a.len().max(b.len());
    let dim = |v: &[usize], d: usize| if d + v.len() >= rank { v[d + v.len() - rank] } else { 1 };
    let common: Vec<usize> = (0..rank).map(|d| dim(&a, d).max(dim(&b, d))).collect();
    if !broadcasts_to(&a, &common) || !broadcasts_to(&b, &common) || cx.ty(out).numel() != common.iter().product::<usize>() {
        return Err(cx.invalid(format!("{a:?} and mask {b:?} do not broadcast to an output planned as {:?}", cx.ty(out).shape)));
    }
    let (x, mask) = (cx.broadcast_to(x, &common), cx.broadcast_to(mask, &common));
    masked_select(cx, x, mask, out)
}

pub fn flip(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let dims = cx.int_list(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let rank = cx.ty(x).shape.len();
    let mut dims = dims.iter().map(|&d| cx.dim(d, rank)).collect::<Result<Vec<_>>>()?;
    dims.sort_unstable();
    dims.dedup();
    same(cx, x, out)?;
    cx.push(Op::Flip { dims }, vec![x], vec![out]);
    Ok(())
}

/// A view of the diagonal: the other dims in order, then the diagonal.
pub fn diagonal(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let offset = cx.int(cx.arg(args, 1)?)?;
    let xs = cx.ty(x).shape.clone();
    let d1 = cx.dim(cx.int(cx.arg(args, 2)?)?, xs.len())?;
    let d2 = cx.dim(cx.int(cx.arg(args, 3)?)?, xs.len())?;
    let out = cx.output(cx.arg(args, 4)?)?;
    if d1 == d2 {
        return Err(cx.invalid("diagonal dims must differ"));
    }
    let st = strides(&xs);
    let skip = offset.unsigned_abs() as usize;
    let (rows, cols) = if offset >= 0 { (xs[d1], xs[d2].saturating_sub(skip)) } else { (xs[d1].saturating_sub(skip), xs[d2]) };
    let n = rows.min(cols);
    let start = if n == 0 { 0 } else if offset >= 0 { skip * st[d2] } else { skip * st[d1] };
    let mut shape: Vec<usize> = (0..xs.len()).filter(|&d| d != d1 && d != d2).map(|d| xs[d]).collect();
    let mut s: Vec<usize> = (0..xs.len()).filter(|&d| d != d1 && d != d2).map(|d| st[d]).collect();
    shape.push(n);
    s.push(st[d1] + st[d2]);
    if cx.ty(out).shape != shape || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {shape:?}", cx.ty(out).shape)));
    }
    cx.push(Op::Gather { offset: start, strides: s }, vec![x], vec![out]);
    Ok(())
}

/// `x` tiled: a gather into `[r0, s0, r1, s1, ...]`, which has the output's memory.
pub fn repeat(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let repeats = cx.int_list(cx.arg(args, 1)?)?;
    let out = cx.output(cx.arg(args, 2)?)?;
    let xs = cx.ty(x).shape.clone();
    let repeats: Vec<usize> = repeats.iter().map(|&r| usize::try_from(r).unwrap_or(usize::MAX)).collect();
    if repeats.len() < xs.len() || repeats.iter().any(|&r| r > 1 << 20) {
        return Err(cx.invalid(format!("repeats {repeats:?} do not fit the input's rank {}", xs.len())));
    }
    let lead = repeats.len() - xs.len();
    let own = strides(&xs);
    let (mut wide, mut s, mut expect) = (Vec::new(), Vec::new(), Vec::new());
    for (d, &r) in repeats.iter().enumerate() {
        let (size, stride) = match d.checked_sub(lead) {
            Some(xd) => (xs[xd], own[xd]),
            None => (1, 0),
        };
        wide.extend([r, size]);
        s.extend([0, stride]);
        expect.push(r * size);
    }
    if cx.ty(out).shape != expect || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {expect:?}", cx.ty(out).shape)));
    }
    let tiled = cx.temp(TensorType { dtype: cx.ty(x).dtype, shape: wide }, Storage::Arena);
    cx.method.values[out].storage = Storage::View { base: tiled, offset: 0 };
    cx.push(Op::Gather { offset: 0, strides: s }, vec![x], vec![tiled]);
    Ok(())
}

/// Non-negative strides over the input's elements, checked to stay inside it.
pub fn as_strided(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let size = cx.int_list(cx.arg(args, 1)?)?;
    let stride = cx.int_list(cx.arg(args, 2)?)?;
    let offset = cx.opt_scalar(cx.arg(args, 3)?)?.unwrap_or(0.0);
    let out = cx.output(cx.arg(args, 4)?)?;
    let size: Vec<usize> = size.iter().map(|&v| usize::try_from(v).unwrap_or(usize::MAX)).collect();
    let stride: Vec<usize> = stride.iter().map(|&v| usize::try_from(v).unwrap_or(usize::MAX)).collect();
    let offset = if offset >= 0.0 && offset.fract() == 0.0 { offset as usize } else { usize::MAX };
    if let Some(order) = cx.layout_of(cx.arg(args, 4)?) {
        return Err(cx.invalid(format!("an output in dim order {order:?} is not supported")));
    }
    // Strides count in ExecuTorch's memory, which etch holds row-major.
    let (offset, stride) = match cx.layout_of(cx.arg(args, 0)?) {
        Some(order) => row_major_window(&cx.ty(x).shape, &order, &size, &stride, offset)
            .ok_or_else(|| cx.invalid(format!("a strided window over dim order {order:?} that is not one in row-major order")))?,
        None => (offset, stride),
    };
    let last = size.iter().zip(&stride).try_fold(offset, |acc, (&n, &s)| acc.checked_add(n.saturating_sub(1).checked_mul(s)?));
    let fits = size.len() == stride.len() && size.iter().all(|&n| n > 0) && last.is_some_and(|l| l < cx.ty(x).numel());
    if !fits && size.iter().all(|&n| n > 0) || cx.ty(out).shape != size || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("size {size:?}, stride {stride:?} and offset {offset} reach outside the input")));
    }
    cx.push(Op::Gather { offset: if fits { offset } else { 0 }, strides: stride }, vec![x], vec![out]);
    Ok(())
}

/// Windows of `size` every `step` along `dim`, as a new last dim: a strided view.
pub fn unfold(cx: &mut Cx<'_, '_>, args: &[usize]) -> Result<()> {
    let x = cx.input(cx.arg(args, 0)?)?;
    let xs = cx.ty(x).shape.clone();
    let dim = cx.dim(cx.int(cx.arg(args, 1)?)?, xs.len())?;
    let size = usize::try_from(cx.int(cx.arg(args, 2)?)?).unwrap_or(usize::MAX);
    let step = usize::try_from(cx.int(cx.arg(args, 3)?)?).unwrap_or(0);
    let out = cx.output(cx.arg(args, 4)?)?;
    let n = xs.get(dim).copied().unwrap_or(1);
    if step == 0 || size > n {
        return Err(cx.invalid(format!("windows of {size} every {step} do not fit a dim of {n}")));
    }
    let st = strides(&xs);
    let (mut shape, mut s) = (xs.clone(), st.clone());
    if let (Some(d), Some(t)) = (shape.get_mut(dim), s.get_mut(dim)) {
        *d = (n - size) / step + 1;
        // Past `n` the stride is never taken: bounded so it cannot overflow.
        *t *= step.min(n.max(1));
    }
    shape.push(size);
    s.push(st.get(dim).copied().unwrap_or(1));
    if cx.ty(out).shape != shape || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid(format!("output shape {:?} is not {shape:?}", cx.ty(out).shape)));
    }
    cx.push(Op::Gather { offset: 0, strides: s }, vec![x], vec![out]);
    Ok(())
}

fn same(cx: &Cx<'_, '_>, x: usize, out: usize) -> Result<()> {
    if cx.ty(out).shape != cx.ty(x).shape || cx.ty(out).dtype != cx.ty(x).dtype {
        return Err(cx.invalid("the output must keep the input's shape and dtype"));
    }
    Ok(())
}

/// The `(offset, strides)` in row-major memory of a window given in the
/// memory of dim order `order`, where one exists: each step of the window
/// must move by a constant amount in both layouts.
fn row_major_window(shape: &[usize], order: &[usize], size: &[usize], stride: &[usize], offset: usize) -> Option<(usize, Vec<usize>)> {
    let phys: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
    let phys_strides = strides(&phys);
    let logical = strides(shape);
    let numel: usize = shape.iter().product();
    // Where a position in ExecuTorch's memory lives in etch's.
    let to_row_major = |mut at: usize| -> Option<usize> {
        if at >= numel {
            return None;
        }
        let mut out = 0;
        for (i, &d) in order.iter().enumerate() {
            out += at / phys_strides[i] * logical[d];
            at %= phys_strides[i];
        }
        Some(out)
    };
    let base = to_row_major(offset)?;
    let mut steps = Vec::with_capacity(size.len());
    for (&n, &s) in size.iter().zip(stride) {
        steps.push(if n > 1 { to_row_major(offset.checked_add(s)?)?.checked_sub(base)? } else { 0 });
    }
    // Checked at every position; windows are small (they stand in for views).
    let count: usize = size.iter().product();
    if count > 1 << 20 {
        return None;
    }
    let mut index = vec![0; size.len()];
    for _ in 0..count {
        let at = index.iter().zip(stride).try_fold(offset, |a: usize, (i, s): (&usize, &usize)| a.checked_add(i.checked_mul(*s)?))?;
        let want = base + index.iter().zip(&steps).map(|(i, s)| i * s).sum::<usize>();
        if to_row_major(at)? != want {
            return None;
        }
        for d in (0..size.len()).rev() {
            index[d] += 1;
            if index[d] < size[d] {
                break;
            }
            index[d] = 0;
        }
    }
    Some((base, steps))
}

#[cfg(test)]
mod tests {
    use super::row_major_window;

    #[test]
    fn channels_last_window_is_a_row_major_one() {
        // [1, 6, 1, 1] read from an NHWC [1, 6, 2, 2] (strides 24, 1, 12, 6): channel c
        // of pixel (0, 0) sits at c in NHWC memory and at 4c in row-major memory.
        let got = row_major_window(&[1, 6, 2, 2], &[0, 2, 3, 1], &[1, 6, 1, 1], &[24, 1, 12, 6], 0);
        assert_eq!(got, Some((0, vec![0, 4, 0, 0])));
        // Two channels at once are one step in NHWC memory but not in row-major memory.
        assert_eq!(row_major_window(&[1, 6, 2, 2], &[0, 2, 3, 1], &[12], &[1], 0), None);
    }
}
