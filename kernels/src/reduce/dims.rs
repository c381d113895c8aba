//! Reductions over any set of dims (`sum`, `prod`, `amax`, `argmax`, `max.dim`,
//! `var`, ...), plus `cumsum` and `topk` along one dim.
//!
//! Like ExecuTorch's `reduce_util`, every output element folds its reduced
//! elements in row-major order, starting from the first of them; the caller's
//! closures hold the op's arithmetic (and its NaN rule).

use crate::MAX_RANK;

/// The kept and the reduced dims of a shape, as (size, stride) pairs.
struct Walk {
    kept: [(usize, usize); MAX_RANK],
    nk: usize,
    red: [(usize, usize); MAX_RANK],
    nr: usize,
}

impl Walk {
    /// `None` past `MAX_RANK` dims.
    fn new(shape: &[usize], reduce: &[bool]) -> Option<Walk> {
        if shape.len() > MAX_RANK {
            return None;
        }
        let mut w = Walk { kept: [(1, 0); MAX_RANK], nk: 0, red: [(1, 0); MAX_RANK], nr: 0 };
        let mut stride = 1;
        for (d, &size) in shape.iter().enumerate().rev() {
            if reduce.get(d).copied().unwrap_or(false) {
                w.red[w.nr] = (size, stride);
                w.nr += 1;
            } else {
                w.kept[w.nk] = (size, stride);
                w.nk += 1;
            }
            stride *= size;
        }
        // Collected innermost first: flip to row-major order.
        w.kept[..w.nk].reverse();
        w.red[..w.nr].reverse();
        Some(w)
    }

    fn outputs(&self) -> usize {
        self.kept[..self.nk].iter().map(|k| k.0).product()
    }

    fn count(&self) -> usize {
        self.red[..self.nr].iter().map(|r| r.0).product()
    }

    /// Input offset of output `o`'s first reduced element.
    fn base(&self, mut o: usize) -> usize {
        let mut off = 0;
        for &(size, stride) in self.kept[..self.nk].iter().rev() {
            off += (o % size) * stride;
            o /= size;
        }
        off
    }

    /// Offset of the `i`-th reduced element (row-major) from a base.
    fn offset(&self, mut i: usize) -> usize {
        let mut off = 0;
        for &(size, stride) in self.red[..self.nr].iter().rev() {
            off += (i % size) * stride;
            i /= size;
        }
        off
    }

    /// Calls `f(o, element offsets)` per output element `o`.
    fn each(&self, mut f: impl FnMut(usize, &mut dyn Iterator<Item = usize>)) {
        let count = self.count();
        for o in 0..self.outputs() {
            let base = self.base(o);
            f(o, &mut (0..count).map(|i| base + self.offset(i)));
        }
    }
}

/// `out[o] = finish(fold)` where the fold starts at `first(x0)` and goes on
/// with `step(acc, x_i, i)` over output `o`'s reduced elements in row-major
/// order (`i` counts them). An empty reduction gives `finish(empty)`.
#[allow(clippy::too_many_arguments)]
pub fn reduce<T: Copy, A: Copy, O>(
    x: &[T],
    shape: &[usize],
    reduce: &[bool],
    out: &mut [O],
    empty: A,
    first: impl Fn(T) -> A,
    step: impl Fn(A, T, usize) -> A,
    finish: impl Fn(A) -> O,
) {
    let Some(walk) = Walk::new(shape, reduce) else { return };
    walk.each(|o, offsets| {
        let mut acc = None;
        for (i, off) in offsets.enumerate() {
            let Some(&v) = x.get(off) else { break };
            acc = Some(match acc {
                None => first(v),
                Some(a) => step(a, v, i),
            });
        }
        if let Some(slot) = out.get_mut(o) {
            *slot = finish(acc.unwrap_or(empty));
        }
    });
}

/// ExecuTorch's `var`: the mean in f32, then the f32 sum of squared
/// deviations divided (in f64) by `count - correction`; NaN when that is not positive.
pub fn variance(x: &[f32], shape: &[usize], reduce: &[bool], out: &mut [f32], correction: f64) {
    let Some(walk) = Walk::new(shape, reduce) else { return };
    let count = walk.count();
    let denominator = count as f64 - correction;
    walk.each(|o, offsets| {
        let Some(slot) = out.get_mut(o) else { return };
        if count == 0 || denominator <= 0.0 {
            *slot = f32::NAN;
            return;
        }
        let base = walk.base(o);
        let at = |i: usize| x.get(base + walk.offset(i)).copied().unwrap_or(0.0);
        let sum = offsets.fold(0.0f32, |s, off| s + x.get(off).copied().unwrap_or(0.0));
        let mean = sum / count as f32;
        let sum2 = (0..count).fold(0.0f32, |s, i| s + (at(i) - mean) * (at(i) - mean));
        *slot = (f64::from(sum2) / denominator) as f32;
    });
}

/// `x` viewed as `[lead, size, trail]`: `out[l, j, t] = Σ_{i <= j} cast(x[l, i, t])`,
/// added in order in the output dtype.
#[allow(clippy::too_many_arguments)]
pub fn cumsum<T: Copy, O: Copy>(
    x: &[T],
    out: &mut [O],
    lead: usize,
    size: usize,
    trail: usize,
    cast: impl Fn(T) -> O,
    add: impl Fn(O, O) -> O,
) {
    let block = size * trail;
    for l in 0..lead {
        for t in 0..trail {
            let mut acc = None;
            for j in 0..size {
                let at = l * block + j * trail + t;
                let (Some(&v), Some(slot)) = (x.get(at), out.get_mut(at)) else { return };
                let v = cast(v);
                let s = match acc {
                    None => v,
                    Some(a) => add(a, v),
                };
                *slot = s;
                acc = Some(s);
            }
        }
    }
}

/// The `k` best of each run along the middle dim of `[lead, size, trail]`,
/// best first: `before(a, b)` orders values (ties go to the lower index).
/// `values` and `indices` are `[lead, k, trail]`. No scratch: the j-th pick is
/// the best element that comes after the (j-1)-th in that order.
#[allow(clippy::too_many_arguments)]
pub fn topk<T: Copy>(
    x: &[T],
    values: &mut [T],
    indices: &mut [i64],
    lead: usize,
    size: usize,
    trail: usize,
    k: usize,
    before: impl Fn(T, T) -> bool,
) {
    let ahead = |a: (T, usize), b: (T, usize)| before(a.0, b.0) || (!before(b.0, a.0) && a.1 < b.1);
    for l in 0..lead {
        for t in 0..trail {
            let at = |i: usize| x.get(l * size * trail + i * trail + t).copied();
            let mut prev: Option<(T, usize)> = None;
            for j in 0..k.min(size) {
                let mut best: Option<(T, usize)> = None;
                for i in 0..size {
                    let Some(v) = at(i) else { return };
                    let e = (v, i);
                    if prev.is_some_and(|p| !ahead(p, e)) {
                        continue;
                    }
                    if best.is_none_or(|b| ahead(e, b)) {
                        best = Some(e);
                    }
                }
                let Some(b) = best else { break };
                let o = l * k * trail + j * trail + t;
                if let (Some(v), Some(ix)) = (values.get_mut(o), indices.get_mut(o)) {
                    *v = b.0;
                    *ix = b.1 as i64;
                }
                prev = Some(b);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // x [2, 3, 2] = 0..12
    const X: [f32; 12] = [0., 1., 2., 3., 4., 5., 6., 7., 8., 9., 10., 11.];

    #[test]
    fn sums_over_any_dims() {
        let mut out = [0.0f32; 3];
        reduce(&X, &[2, 3, 2], &[true, false, true], &mut out, 0.0, |v| 0.0 + v, |a, v, _| a + v, |a| a);
        assert_eq!(out, [0. + 1. + 6. + 7., 2. + 3. + 8. + 9., 4. + 5. + 10. + 11.]);
        let mut all = [0.0f32; 1];
        reduce(&X, &[2, 3, 2], &[true, true, true], &mut all, 0.0, |v| v, |a, v, _| a + v, |a| a);
        assert_eq!(all, [66.0]);
    }

    #[test]
    fn argmax_counts_reduced_elements_and_keeps_the_first_tie() {
        let x = [1.0f32, 3.0, 3.0, f32::NAN, 2.0, 5.0];
        let mut out = [0i64; 2];
        // [2, 3] over dim 1: row 0 ties at 1 and 2, row 1 has a NaN first.
        let first = |v: f32| (v, 0i64);
        // The generated code's rule: `!(v <= a)` also takes a NaN `v`.
        #[allow(clippy::neg_cmp_op_on_partial_ord)]
        let step = |a: (f32, i64), v: f32, i: usize| if !a.0.is_nan() && !(v <= a.0) { (v, i as i64) } else { a };
        reduce(&x, &[2, 3], &[false, true], &mut out, (0.0, 0), first, step, |a| a.1);
        assert_eq!(out, [1, 0]);
    }

    #[test]
    fn variance_with_correction() {
        let mut out = [0.0f32; 2];
        variance(&[1.0, 2.0, 3.0, 4.0, 4.0, 4.0], &[2, 3], &[false, true], &mut out, 1.0);
        assert_eq!(out, [1.0, 0.0]);
        variance(&[1.0, 2.0], &[2], &[true], &mut out[..1], 2.0);
        assert!(out[0].is_nan());
    }

    #[test]
    fn cumsum_along_the_middle() {
        let mut out = [0i64; 12];
        cumsum(&X, &mut out, 2, 3, 2, |v| v as i64, |a, b| a + b);
        assert_eq!(out, [0, 1, 2, 4, 6, 9, 6, 7, 14, 16, 24, 27]);
    }

    #[test]
    fn topk_best_first_with_ties_by_index() {
        let x = [3.0f32, 1.0, 3.0, 2.0, f32::NAN, 0.0];
        let (mut v, mut i) = ([0.0f32; 4], [0i64; 4]);
        let greater = |a: f32, b: f32| (a.is_nan() && !b.is_nan()) || a > b;
        topk(&x, &mut v, &mut i, 1, 6, 1, 4, greater);
        assert!(v[0].is_nan());
        assert_eq!((&v[1..], i), (&[3.0, 3.0, 2.0][..], [4, 0, 2, 3]));
        let (mut v, mut i) = ([0.0f32; 2], [0i64; 2]);
        topk(&X, &mut v, &mut i, 1, 6, 2, 1, |a, b| a < b);
        assert_eq!((v, i), ([0.0, 1.0], [0, 0]));
    }
}
