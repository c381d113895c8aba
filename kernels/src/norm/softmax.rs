//! Softmax and log-softmax along one dim of `[outer, dim, inner]`.
//!
//! Like ExecuTorch: the max is folded from the first element with
//! `max(v, acc) = if v < acc { acc } else { v }`, the exp-sum is folded
//! sequentially from the first term, and softmax divides by the sum.

/// Lanes handled together when the softmax dim is not innermost.
const LANES: usize = 32;

#[inline]
fn keep_max(acc: f32, v: f32) -> f32 {
    if v < acc {
        acc
    } else {
        v
    }
}

pub fn softmax(x: &[f32], out: &mut [f32], outer: usize, dim: usize, inner: usize) {
    run(x, out, outer, dim, inner, Kind::Soft);
}

pub fn log_softmax(x: &[f32], out: &mut [f32], outer: usize, dim: usize, inner: usize) {
    run(x, out, outer, dim, inner, Kind::Log);
}

#[derive(Clone, Copy)]
enum Kind {
    Soft,
    Log,
}

fn run(x: &[f32], out: &mut [f32], outer: usize, dim: usize, inner: usize, kind: Kind) {
    let block = dim * inner;
    if block == 0 {
        return;
    }
    for (xb, ob) in x
        .chunks_exact(block)
        .zip(out.chunks_exact_mut(block))
        .take(outer)
    {
        if inner == 1 {
            row(xb, ob, kind);
        } else {
            let mut start = 0;
            while start < inner {
                let width = LANES.min(inner - start);
                lanes(xb, ob, dim, inner, start, width, kind);
                start += width;
            }
        }
    }
}

/// Contiguous case: one row of `dim` values.
fn row(x: &[f32], out: &mut [f32], kind: Kind) {
    let Some((&first, rest)) = x.split_first() else {
        return;
    };
    let max = rest.iter().fold(first, |m, &v| keep_max(m, v));
    out.iter_mut()
        .zip(x)
        .for_each(|(o, &v)| *o = libm::expf(v - max));
    let sum = out.iter().skip(1).fold(out[0], |s, &e| s + e);
    match kind {
        Kind::Soft => out.iter_mut().for_each(|o| *o /= sum),
        Kind::Log => {
            let log_sum = libm::logf(sum);
            out.iter_mut()
                .zip(x)
                .for_each(|(o, &v)| *o = v - max - log_sum);
        }
    }
}

/// Strided case: `width` neighbouring columns starting at `start`, so the
/// inner loops run over contiguous memory.
fn lanes(
    x: &[f32],
    out: &mut [f32],
    dim: usize,
    inner: usize,
    start: usize,
    width: usize,
    kind: Kind,
) {
    let col = |d: usize| d * inner + start..d * inner + start + width;
    let mut max = [0.0f32; LANES];
    let mut sum = [0.0f32; LANES];
    let (max, sum) = (&mut max[..width], &mut sum[..width]);
    max.copy_from_slice(&x[col(0)]);
    for d in 1..dim {
        max.iter_mut()
            .zip(&x[col(d)])
            .for_each(|(m, &v)| *m = keep_max(*m, v));
    }
    for d in 0..dim {
        let (xs, os) = (&x[col(d)], &mut out[col(d)]);
        os.iter_mut()
            .zip(xs)
            .zip(&*max)
            .for_each(|((o, &v), &m)| *o = libm::expf(v - m));
        if d == 0 {
            sum.copy_from_slice(os);
        } else {
            sum.iter_mut().zip(&*os).for_each(|(s, &e)| *s += e);
        }
    }
    if let Kind::Log = kind {
        sum.iter_mut().for_each(|s| *s = libm::logf(*s));
    }
    for d in 0..dim {
        let (xs, os) = (&x[col(d)], &mut out[col(d)]);
        match kind {
            Kind::Soft => os.iter_mut().zip(&*sum).for_each(|(o, &s)| *o /= s),
            Kind::Log => os
                .iter_mut()
                .zip(xs)
                .zip(max.iter().zip(&*sum))
                .for_each(|((o, &v), (&m, &ls))| *o = v - m - ls),
        }
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
    fn known_vector() {
        let x = [1.0f32, 2.0, 3.0];
        let mut out = [0.0f32; 3];
        softmax(&x, &mut out, 1, 3, 1);
        assert_close(&out, &[0.090_030_57, 0.244_728_48, 0.665_240_94], 1e-6);
        log_softmax(&x, &mut out, 1, 3, 1);
        assert_close(&out, &[-2.407_606, -1.407_605_9, -0.407_605_9], 1e-6);
    }

    #[test]
    fn huge_values_are_stable() {
        let x = [1000.0f32, 1000.0];
        let mut out = [0.0f32; 2];
        softmax(&x, &mut out, 1, 2, 1);
        assert_eq!(out, [0.5, 0.5]);
    }

    /// Reference that walks each (outer, inner) column with strides.
    fn naive(x: &[f32], outer: usize, dim: usize, inner: usize, log: bool) -> Vec<f32> {
        let mut out = vec![0.0f32; x.len()];
        for o in 0..outer {
            for i in 0..inner {
                let at = |d: usize| (o * dim + d) * inner + i;
                let mut m = x[at(0)];
                for d in 1..dim {
                    m = keep_max(m, x[at(d)]);
                }
                let mut s = libm::expf(x[at(0)] - m);
                for d in 1..dim {
                    s += libm::expf(x[at(d)] - m);
                }
                for d in 0..dim {
                    out[at(d)] = if log {
                        x[at(d)] - m - libm::logf(s)
                    } else {
                        libm::expf(x[at(d)] - m) / s
                    };
                }
            }
        }
        out
    }

    #[test]
    fn strided_matches_naive_and_sums_to_one() {
        let mut rng = Lcg(3);
        for &(outer, dim, inner) in &[(2, 5, 1), (3, 4, 7), (2, 3, 70), (1, 1, 5)] {
            let mut x = vec![0.0f32; outer * dim * inner];
            rng.fill(&mut x);
            x.iter_mut().for_each(|v| *v *= 10.0);
            let mut out = vec![0.0f32; x.len()];
            softmax(&x, &mut out, outer, dim, inner);
            assert_eq!(out, naive(&x, outer, dim, inner, false));
            for o in 0..outer {
                for i in 0..inner {
                    let s: f32 = (0..dim).map(|d| out[(o * dim + d) * inner + i]).sum();
                    assert!((s - 1.0).abs() < 1e-5);
                }
            }
            log_softmax(&x, &mut out, outer, dim, inner);
            assert_eq!(out, naive(&x, outer, dim, inner, true));
        }
    }
}
