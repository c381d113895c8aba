//! Sum and mean reductions.
//!
//! ExecuTorch folds every output element sequentially in f32, visiting the
//! reduced elements in row-major order and starting from the first of them.
//! Adding into the output in input order keeps exactly that order per output
//! element. Starting from `-0.0` is the same as starting from the first
//! element; ExecuTorch's fast path for a single innermost dim starts from
//! `+0.0` instead (as does an empty reduction), which only differs when every
//! summand is `-0.0`.

/// Start value matching the portable kernel's choice of code path.
#[inline]
fn start(plus_zero: bool) -> f32 {
    if plus_zero {
        0.0
    } else {
        -0.0
    }
}

/// Sums `x` viewed as `[outer, reduce, inner]` over the middle dim into
/// `out[outer, inner]`, folding sequentially, then multiplies by `scale`.
pub fn sum_axis(x: &[f32], out: &mut [f32], outer: usize, reduce: usize, inner: usize, scale: f32) {
    accumulate_axis(x, out, outer, reduce, inner);
    out.iter_mut().take(outer * inner).for_each(|o| *o *= scale);
}

/// Mean over the middle dim of `[outer, reduce, inner]`. Divides by the count
/// like ExecuTorch does (multiplying by `1/count` can round differently).
pub fn mean_axis(x: &[f32], out: &mut [f32], outer: usize, reduce: usize, inner: usize) {
    accumulate_axis(x, out, outer, reduce, inner);
    let count = reduce as f32;
    out.iter_mut().take(outer * inner).for_each(|o| *o /= count);
}

fn accumulate_axis(x: &[f32], out: &mut [f32], outer: usize, reduce: usize, inner: usize) {
    if inner == 0 {
        return;
    }
    let init = start(inner == 1 || reduce == 0);
    let block = reduce * inner;
    let mut first = 0;
    if inner == 1 {
        first = rows_together(x, out, outer, reduce, init);
    }
    for (o, out_row) in out.chunks_exact_mut(inner).take(outer).enumerate().skip(first) {
        out_row.fill(init);
        if block == 0 {
            continue;
        }
        let Some(xs) = x.get(o * block..) else { break };
        if inner == 1 {
            if let Some(acc) = out_row.first_mut() {
                *acc = xs.iter().take(reduce).fold(*acc, |s, &v| s + v);
            }
        } else {
            for x_row in xs.chunks_exact(inner).take(reduce) {
                out_row.iter_mut().zip(x_row).for_each(|(s, &v)| *s += v);
            }
        }
    }
}

/// Rows summed at once by `rows_together`.
const ROWS: usize = 8;

/// `out[o] = init + x[o][0] + x[o][1] + ...` for whole groups of `ROWS` rows,
/// each still folded in order, but `ROWS` independent sums in flight instead
/// of one chain of dependent adds. Returns how many rows it did.
fn rows_together(x: &[f32], out: &mut [f32], outer: usize, reduce: usize, init: f32) -> usize {
    let mut done = 0;
    while done + ROWS <= outer {
        let Some(xs) = x.get(done * reduce..(done + ROWS) * reduce) else { break };
        let Some(o) = out.get_mut(done..done + ROWS) else { break };
        let rows: [&[f32]; ROWS] = core::array::from_fn(|r| &xs[r * reduce..(r + 1) * reduce]);
        let mut acc = [init; ROWS];
        for i in 0..reduce {
            for (acc, row) in acc.iter_mut().zip(&rows) {
                *acc += row[i];
            }
        }
        o.copy_from_slice(&acc);
        done += ROWS;
    }
    done
}

/// Sums over every dim flagged in `reduce` (missing flags mean "keep").
/// `out` is row-major over the kept dims; the result is multiplied by `scale`.
pub fn sum_dims(x: &[f32], shape: &[usize], reduce: &[bool], out: &mut [f32], scale: f32) {
    let n = accumulate_dims(x, shape, reduce, out);
    out.iter_mut().take(n).for_each(|o| *o *= scale);
}

/// Mean over every dim flagged in `reduce`, dividing by the reduced element
/// count as ExecuTorch's `mean.out` does.
pub fn mean_dims(x: &[f32], shape: &[usize], reduce: &[bool], out: &mut [f32]) {
    let count: usize = shape
        .iter()
        .enumerate()
        .filter(|&(d, _)| flag(reduce, d))
        .map(|(_, &s)| s)
        .product();
    let count = count as f32;
    let n = accumulate_dims(x, shape, reduce, out);
    out.iter_mut().take(n).for_each(|o| *o /= count);
}

#[inline]
fn flag(reduce: &[bool], d: usize) -> bool {
    reduce.get(d).copied().unwrap_or(false)
}

/// Returns the number of output elements written.
fn accumulate_dims(x: &[f32], shape: &[usize], reduce: &[bool], out: &mut [f32]) -> usize {
    let kept: usize = kept_size(shape, reduce, 0);
    let n = kept.min(out.len());
    let flagged = (0..shape.len()).filter(|&d| flag(reduce, d)).count();
    let innermost_only = flagged == 1 && flag(reduce, shape.len().wrapping_sub(1));
    let total: usize = shape.iter().product();
    out[..n].fill(start(innermost_only || total == 0));
    let len = total.min(x.len());
    walk(&x[..len], shape, reduce, 0, &mut out[..n]);
    n
}

/// Product of the kept dims from `from` on.
#[inline]
fn kept_size(shape: &[usize], reduce: &[bool], from: usize) -> usize {
    shape
        .iter()
        .enumerate()
        .skip(from)
        .filter(|&(d, _)| !flag(reduce, d))
        .map(|(_, &s)| s)
        .product()
}

/// Adds the contiguous block `x` (dims `d..`) into `out` (its kept dims).
fn walk(x: &[f32], shape: &[usize], reduce: &[bool], d: usize, out: &mut [f32]) {
    let Some(&size) = shape.get(d) else {
        if let (Some(o), Some(&v)) = (out.first_mut(), x.first()) {
            *o += v;
        }
        return;
    };
    let reduced = flag(reduce, d);
    if d + 1 == shape.len() {
        if reduced {
            if let Some(o) = out.first_mut() {
                *o = x.iter().take(size).fold(*o, |s, &v| s + v);
            }
        } else {
            out.iter_mut().zip(x).for_each(|(o, &v)| *o += v);
        }
        return;
    }
    let x_inner: usize = shape[d + 1..].iter().product();
    let out_inner = kept_size(shape, reduce, d + 1);
    if x_inner == 0 || out_inner == 0 {
        return;
    }
    for (i, xc) in x.chunks(x_inner).take(size).enumerate() {
        let off = if reduced { 0 } else { i * out_inner };
        let Some(oc) = out.get_mut(off..) else { return };
        let end = out_inner.min(oc.len());
        walk(xc, shape, reduce, d + 1, &mut oc[..end]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Lcg};
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    #[test]
    fn sum_axis_middle() {
        // [2, 3, 2]
        let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let mut out = [0.0f32; 4];
        sum_axis(&x, &mut out, 2, 3, 2, 1.0);
        assert_eq!(out, [6.0, 9.0, 24.0, 27.0]);
        sum_axis(&x, &mut out, 2, 3, 2, 0.5);
        assert_eq!(out, [3.0, 4.5, 12.0, 13.5]);
        mean_axis(&x, &mut out, 2, 3, 2);
        assert_eq!(out, [2.0, 3.0, 8.0, 9.0]);
    }

    #[test]
    fn sum_axis_innermost() {
        let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut out = [0.0f32; 2];
        sum_axis(&x, &mut out, 2, 3, 1, 1.0);
        assert_eq!(out, [6.0, 15.0]);
    }

    /// Naive reference: sequential fold per output in row-major order.
    fn naive(x: &[f32], shape: &[usize], reduce: &[bool]) -> Vec<f32> {
        let kept: Vec<usize> = (0..shape.len()).filter(|&d| !reduce[d]).collect();
        let out_n: usize = kept.iter().map(|&d| shape[d]).product();
        let mut out = vec![None::<f32>; out_n];
        let total: usize = shape.iter().product();
        for (flat, &v) in x.iter().enumerate().take(total) {
            let mut rem = flat;
            let mut idx = vec![0; shape.len()];
            for d in (0..shape.len()).rev() {
                idx[d] = rem % shape[d];
                rem /= shape[d];
            }
            let mut o = 0;
            for &d in &kept {
                o = o * shape[d] + idx[d];
            }
            out[o] = Some(match out[o] {
                None => v,
                Some(s) => s + v,
            });
        }
        out.into_iter().map(|v| v.unwrap_or(0.0)).collect()
    }

    #[test]
    fn sum_dims_matches_naive_bitwise() {
        let mut rng = Lcg(7);
        let shape = [3, 4, 5, 2];
        let mut x = vec![0.0f32; 120];
        rng.fill(&mut x);
        for mask in 1u32..16 {
            let reduce: Vec<bool> = (0..4).map(|d| mask & (1 << d) != 0).collect();
            let want = naive(&x, &shape, &reduce);
            let mut out = vec![f32::NAN; want.len()];
            sum_dims(&x, &shape, &reduce, &mut out, 1.0);
            assert_eq!(out, want, "mask {mask:#b}");
        }
    }

    #[test]
    fn mean_axis_innermost_matches_a_sequential_fold_bitwise() {
        let mut rng = Lcg(9);
        for &(outer, reduce) in &[(1, 5), (8, 49), (19, 196), (16, 3)] {
            let mut x = vec![0.0f32; outer * reduce];
            rng.fill(&mut x);
            let mut out = vec![f32::NAN; outer];
            mean_axis(&x, &mut out, outer, reduce, 1);
            for (o, row) in out.iter().zip(x.chunks_exact(reduce)) {
                let want = row.iter().fold(0.0f32, |s, &v| s + v) / reduce as f32;
                assert_eq!(o.to_bits(), want.to_bits(), "{outer}x{reduce}");
            }
        }
    }

    #[test]
    fn mean_dims_divides() {
        // [2, 3]: mean over dim 1 and over both.
        let x = [1.0f32, 2.0, 4.0, 10.0, 20.0, 40.0];
        let mut out = [0.0f32; 2];
        mean_dims(&x, &[2, 3], &[false, true], &mut out);
        assert_close(&out, &[7.0 / 3.0, 70.0 / 3.0], 0.0);
        let mut all = [0.0f32; 1];
        mean_dims(&x, &[2, 3], &[true, true], &mut all);
        assert_eq!(all, [77.0 / 6.0]);
        let mut col = [0.0f32; 3];
        sum_dims(&x, &[2, 3], &[true, false], &mut col, 0.5);
        assert_eq!(col, [5.5, 11.0, 22.0]);
    }

    #[test]
    fn sum_dims_with_no_reduced_dims_copies() {
        let x = [1.0f32, -2.0, 3.0];
        let mut out = [0.0f32; 3];
        sum_dims(&x, &[3], &[false], &mut out, 1.0);
        assert_eq!(out, x);
    }
}
