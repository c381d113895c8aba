//! Data-indexed reads and writes beyond `index_select`: `gather`,
//! `index.Tensor`, `scatter`, `masked_scatter` and boolean masks.
//! Indices are checked by `index::check` first in generated code; here a bad one gives `T::default()` instead of a read out of bounds.

use crate::index::rows::Index;
use crate::MAX_RANK;

/// `gather` along `dim`: `out[p] = x[p with dim replaced by index[p]]`, `p`
/// running over `index_shape` (the output's shape, at most `x_shape` in each dim).
pub fn gather<T: Copy + Default, I: Index>(
    x: &[T],
    x_shape: &[usize],
    index: &[I],
    index_shape: &[usize],
    dim: usize,
    out: &mut [T],
) {
    let rank = index_shape.len();
    if rank > MAX_RANK || x_shape.len() != rank || dim >= rank.max(1) {
        return;
    }
    let mut stride = [0usize; MAX_RANK];
    let mut s = 1;
    for d in (0..rank).rev() {
        stride[d] = s;
        s *= x_shape[d];
    }
    let size = x_shape.get(dim).copied().unwrap_or(1);
    let mut p = [0usize; MAX_RANK];
    for (o, &i) in out.iter_mut().zip(index) {
        let mut off = 0;
        for d in 0..rank {
            if d != dim {
                off += p[d] * stride[d];
            }
        }
        let i = usize::try_from(i.to_i64()).ok().filter(|&i| i < size);
        *o = i.and_then(|i| x.get(off + i * stride.get(dim).copied().unwrap_or(1)).copied()).unwrap_or_default();
        // Next position, row-major over the index's shape.
        for d in (0..rank).rev() {
            p[d] += 1;
            if p[d] < index_shape[d] {
                break;
            }
            p[d] = 0;
        }
    }
}

/// `index.Tensor` over adjacent indexed dims: `x` viewed as `[lead, sizes..., trail]`,
/// `out` as `[lead, n, trail]` with `out[l, j, t] = x[l, indices[0][j], indices[1][j], ..., t]`.
/// Every index holds `n` values (already broadcast); negative ones count from the end.
pub fn index_tensor<T: Copy + Default, I: Index>(
    x: &[T],
    indices: &[&[I]],
    sizes: &[usize],
    out: &mut [T],
    lead: usize,
    trail: usize,
) {
    if trail == 0 || indices.len() != sizes.len() {
        return;
    }
    let n = indices.first().map_or(1, |i| i.len());
    let block: usize = sizes.iter().product::<usize>() * trail;
    let rows = out.chunks_exact_mut(trail).take(lead * n);
    for (r, row) in rows.enumerate() {
        let (l, j) = (r / n.max(1), r % n.max(1));
        let mut at = Some(0usize);
        for (index, &size) in indices.iter().zip(sizes) {
            let i = index.get(j).map_or(-1, |i| i.to_i64());
            let i = if i < 0 { i + size as i64 } else { i };
            let i = usize::try_from(i).ok().filter(|&i| i < size);
            at = at.zip(i).map(|(a, i)| a * size + i);
        }
        let src = at.and_then(|a| x.get(l * block + a * trail..)?.get(..trail));
        match src {
            Some(src) => row.copy_from_slice(src),
            None => row.fill(T::default()),
        }
    }
}

/// `scatter` along `dim`, in place on `out` (a copy of the input): for each
/// position `p` of `index_shape`, `out[p with dim replaced by index[p]] =
/// combine(that element, src(p))`, in row-major order, so the last write wins.
/// `src` gives the value for a position and its offset in a `src_shape` tensor.
#[allow(clippy::too_many_arguments)]
pub fn scatter<T: Copy, I: Index>(
    out: &mut [T],
    out_shape: &[usize],
    index: &[I],
    index_shape: &[usize],
    dim: usize,
    src_shape: &[usize],
    src: impl Fn(usize) -> T,
    combine: impl Fn(T, T) -> T,
) {
    let rank = index_shape.len();
    if rank > MAX_RANK || out_shape.len() != rank || src_shape.len() != rank || dim >= rank.max(1) {
        return;
    }
    let (mut os, mut ss) = ([0usize; MAX_RANK], [0usize; MAX_RANK]);
    let (mut o, mut s) = (1, 1);
    for d in (0..rank).rev() {
        (os[d], ss[d]) = (o, s);
        o *= out_shape[d];
        s *= src_shape[d];
    }
    let size = out_shape.get(dim).copied().unwrap_or(1);
    let mut p = [0usize; MAX_RANK];
    for &i in index.iter().take(index_shape.iter().product()) {
        let (mut off, mut src_off) = (0, 0);
        for d in 0..rank {
            src_off += p[d] * ss[d];
            if d != dim {
                off += p[d] * os[d];
            }
        }
        if let Some(i) = usize::try_from(i.to_i64()).ok().filter(|&i| i < size) {
            if let Some(slot) = out.get_mut(off + i * os.get(dim).copied().unwrap_or(1)) {
                *slot = combine(*slot, src(src_off));
            }
        }
        for d in (0..rank).rev() {
            p[d] += 1;
            if p[d] < index_shape[d] {
                break;
            }
            p[d] = 0;
        }
    }
}

/// `masked_scatter` on inputs broadcast to the output: where `mask` holds,
/// the next element of `src` in row-major order, else `x`. Running out of
/// `src` is an error, as in ExecuTorch (the rest keeps `x`).
pub fn masked_scatter<T: Copy>(x: &[T], mask: &[bool], src: &[T], out: &mut [T]) -> Result<(), crate::Error> {
    let mut next = 0;
    let mut short = None;
    for ((o, &v), &m) in out.iter_mut().zip(x).zip(mask) {
        *o = v;
        if m {
            match src.get(next) {
                Some(&s) => *o = s,
                None => short = short.or(Some(next)),
            }
            next += 1;
        }
    }
    match short {
        Some(i) => Err(crate::Error::IndexOutOfRange { op: "masked_scatter", index: i as i64, size: src.len() }),
        None => Ok(()),
    }
}

/// `x[mask]` with `mask` over the leading dims of `x`: each selected run of
/// `trail` elements, in order, into `out`. Returns how many runs it wrote.
pub fn masked_rows<T: Copy>(x: &[T], mask: &[bool], out: &mut [T], trail: usize) -> usize {
    let mut rows = 0;
    for (i, _) in mask.iter().enumerate().filter(|(_, &m)| m) {
        let (Some(src), Some(dst)) = (x.get(i * trail..(i + 1) * trail), out.get_mut(rows * trail..(rows + 1) * trail)) else { break };
        dst.copy_from_slice(src);
        rows += 1;
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gather_along_dim_1_with_a_smaller_index() {
        // x [2, 3] = 0..6; index [2, 2].
        let x = [0, 1, 2, 3, 4, 5];
        let mut out = [0; 4];
        gather(&x, &[2, 3], &[2i64, 0, 1, 1], &[2, 2], 1, &mut out);
        assert_eq!(out, [2, 0, 4, 4]);
    }

    #[test]
    fn index_tensor_two_dims_with_negative_indices() {
        // x [1, 2, 3, 2]: pick (row, col) pairs (1, -1) and (0, 1) per lead.
        let x: [i32; 12] = core::array::from_fn(|i| i as i32);
        let mut out = [0; 4];
        index_tensor(&x, &[&[1i64, 0][..], &[-1i64, 1][..]], &[2, 3], &mut out, 1, 2);
        assert_eq!(out, [10, 11, 2, 3]);
    }

    #[test]
    fn scatter_values_and_sums() {
        // out [2, 3] of zeros; index [[2, 0], [1, 1]] along dim 1.
        let mut out = [0; 6];
        let src = [1, 2, 3, 4, 5, 6]; // [2, 3]
        scatter(&mut out, &[2, 3], &[2i64, 0, 1, 1], &[2, 2], 1, &[2, 3], |k| src[k], |_, v| v);
        assert_eq!(out, [2, 0, 1, 0, 5, 0]);
        let mut acc = [0; 6];
        scatter(&mut acc, &[2, 3], &[2i64, 0, 1, 1], &[2, 2], 1, &[2, 3], |k| src[k], |a, v| a + v);
        assert_eq!(acc, [2, 0, 1, 0, 9, 0]);
    }

    #[test]
    fn masked_scatter_takes_src_in_order() {
        let mut out = [0; 4];
        assert!(masked_scatter(&[1, 2, 3, 4], &[true, false, true, false], &[9, 8], &mut out).is_ok());
        assert_eq!(out, [9, 2, 8, 4]);
        let e = masked_scatter(&[1, 2, 3, 4], &[true; 4], &[9, 8], &mut out);
        assert_eq!(e, Err(crate::Error::IndexOutOfRange { op: "masked_scatter", index: 2, size: 2 }));
        assert_eq!(out, [9, 8, 3, 4]);
    }

    #[test]
    fn masked_rows_in_order() {
        let mut rows = [0; 6];
        assert_eq!(masked_rows(&[1, 2, 3, 4, 5, 6], &[true, false, true], &mut rows, 2), 2);
        assert_eq!(rows[..4], [1, 2, 5, 6]);
    }
}
