//! Matrix products. ExecuTorch sums `a[i][k] * b[k][j]` for k = 0, 1, ...
//! starting from `0.0` in f32; the i-k-j loop order used here adds the same
//! terms in the same order per output, so results are bit-identical while the
//! inner loop runs over contiguous rows of `b` and `out`.

/// `out[m, n] = a[m, k] @ b[k, n]`.
pub fn mm(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) {
    #[cfg(feature = "threads")]
    if split(out, a, b, m, k, n) {
        return;
    }
    mm_one(out, a, b, m, k, n, n);
}

/// Products at least this large (multiply-adds) are split across threads.
#[cfg(feature = "threads")]
const SPLIT_MIN: usize = 1 << 19;

/// With feature `threads` and more than one thread: bands of rows, or for one
/// row (a classifier's) bands of columns, as parts of one `threads::run`; false,
/// with nothing done, otherwise. Each output sums the same terms in the same
/// order either way, and each part reads only the `b` its outputs need.
#[cfg(feature = "threads")]
fn split(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> bool {
    let t = crate::threads::get();
    let fits = out.len() >= m * n && a.len() >= m * k && b.len() >= k * n;
    if t < 2 || m.saturating_mul(k).saturating_mul(n) < SPLIT_MIN || !fits || (m < 2 && n < 128) {
        return false;
    }
    if m >= 2 {
        let split = crate::threads::Split::new(m, 4 * t, 1);
        crate::threads::bands(out, split, n, &|(r0, r1), o| mm_one(o, a.get(r0 * k..).unwrap_or(&[]), b, r1 - r0, k, n, n));
    } else {
        // One row: its columns are contiguous bands of `out`.
        let split = crate::threads::Split::new(n, (n / 64).min(4 * t), 16);
        crate::threads::bands(out, split, 1, &|(j0, j1), o| mm_one(o, a, b.get(j0..).unwrap_or(&[]), 1, k, j1 - j0, n));
    }
    true
}

avx2_clone! {
    /// `mm` on the calling thread, rows of `b` `ldb` floats apart. The AVX2 copy
    /// keeps separate multiplies and adds (no FMA), so results stay bit-identical.
    fn mm_one(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ldb: usize) => mm_rows
}

#[inline(always)]
fn mm_rows(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ldb: usize) {
    if n == 0 || ldb < n {
        return;
    }
    for (out_row, i) in out.chunks_exact_mut(n).take(m).zip(0..) {
        out_row.fill(0.0);
        let a_row = a.get(i * k..).unwrap_or(&[]);
        for (&aik, b_row) in a_row.iter().take(k).zip(b.chunks(ldb)) {
            out_row
                .iter_mut()
                .zip(b_row)
                .for_each(|(o, &bv)| *o += aik * bv);
        }
    }
}

/// `out = (a @ b) * alpha + bias * beta`, with `bias[i][j]` read at
/// `i * bias_strides[0] + j * bias_strides[1]` (0 strides broadcast).
/// Same operation order as the portable kernel, so `alpha == 1` and
/// `beta == 1` need no special case (multiplying by one is exact).
#[allow(clippy::too_many_arguments)]
pub fn addmm(
    out: &mut [f32],
    bias: &[f32],
    bias_strides: [usize; 2],
    a: &[f32],
    b: &[f32],
    m: usize,
    k: usize,
    n: usize,
    beta: f32,
    alpha: f32,
) {
    mm(out, a, b, m, k, n);
    if n == 0 {
        return;
    }
    let [s0, s1] = bias_strides;
    for (out_row, i) in out.chunks_exact_mut(n).take(m).zip(0..) {
        let bias_row = bias.get(i * s0..).unwrap_or(&[]);
        let scaled = |(o, &c): (&mut f32, &f32)| *o = *o * alpha + c * beta;
        match s1 {
            0 => {
                if let Some(c) = bias_row.first() {
                    out_row
                        .iter_mut()
                        .zip(core::iter::repeat(c))
                        .for_each(scaled);
                }
            }
            1 => out_row.iter_mut().zip(bias_row).for_each(scaled),
            s => out_row
                .iter_mut()
                .zip(bias_row.iter().step_by(s))
                .for_each(scaled),
        }
    }
}

/// Batched `mm`: `out[batch, m, n] = a[batch, m, k] @ b[batch, k, n]`.
pub fn bmm(out: &mut [f32], a: &[f32], b: &[f32], batch: usize, m: usize, k: usize, n: usize) {
    let (out_sz, a_sz, b_sz) = (m * n, m * k, k * n);
    if out_sz == 0 {
        return;
    }
    for (o, t) in out.chunks_exact_mut(out_sz).take(batch).zip(0..) {
        let a_t = a.get(t * a_sz..).unwrap_or(&[]);
        let b_t = b.get(t * b_sz..).unwrap_or(&[]);
        mm(o, a_t, &b_t[..b_sz.min(b_t.len())], m, k, n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{each_path, Lcg};
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    /// The portable kernel's i-j-k loop, summing from zero.
    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut out = vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut s = 0.0f32;
                for p in 0..k {
                    s += a[i * k + p] * b[p * n + j];
                }
                out[i * n + j] = s;
            }
        }
        out
    }

    #[test]
    fn mm_small_known() {
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // [2, 3]
        let b = [7.0f32, 8.0, 9.0, 10.0, 11.0, 12.0]; // [3, 2]
        let mut out = [0.0f32; 4];
        mm(&mut out, &a, &b, 2, 3, 2);
        assert_eq!(out, [58.0, 64.0, 139.0, 154.0]);
    }

    #[test]
    fn mm_matches_naive_bitwise() {
        let mut rng = Lcg(11);
        for &(m, k, n) in &[(1, 1, 1), (3, 7, 5), (8, 16, 33), (5, 0, 4), (1, 70, 1000), (2, 9, 61)] {
            let mut a = vec![0.0f32; m * k];
            let mut b = vec![0.0f32; k * n];
            rng.fill(&mut a);
            rng.fill(&mut b);
            each_path(|path| {
                let mut out = vec![f32::NAN; m * n];
                mm(&mut out, &a, &b, m, k, n);
                assert_eq!(out, naive(&a, &b, m, k, n), "{path} {m}x{k}x{n}");
            });
        }
    }

    #[test]
    fn addmm_broadcasts_bias() {
        let a = [1.0f32, 2.0, 3.0, 4.0]; // [2, 2]
        let b = [1.0f32, 0.0, 0.0, 1.0]; // identity
        let mut out = [0.0f32; 4];
        // Row-vector bias [n].
        addmm(&mut out, &[10.0, 20.0], [0, 1], &a, &b, 2, 2, 2, 1.0, 1.0);
        assert_eq!(out, [11.0, 22.0, 13.0, 24.0]);
        // Column bias [m, 1], beta and alpha applied.
        addmm(&mut out, &[10.0, 20.0], [1, 0], &a, &b, 2, 2, 2, 0.5, 2.0);
        assert_eq!(out, [7.0, 9.0, 16.0, 18.0]);
        // Full [m, n] bias.
        addmm(
            &mut out,
            &[1.0, 2.0, 3.0, 4.0],
            [2, 1],
            &a,
            &b,
            2,
            2,
            2,
            1.0,
            1.0,
        );
        assert_eq!(out, [2.0, 4.0, 6.0, 8.0]);
        // Transposed view of a bias through strides.
        addmm(
            &mut out,
            &[1.0, 2.0, 3.0, 4.0],
            [1, 2],
            &a,
            &b,
            2,
            2,
            2,
            1.0,
            0.0,
        );
        assert_eq!(out, [1.0, 3.0, 2.0, 4.0]);
    }

    #[test]
    fn bmm_matches_naive_per_batch() {
        let mut rng = Lcg(5);
        let (batch, m, k, n) = (3, 4, 5, 6);
        let mut a = vec![0.0f32; batch * m * k];
        let mut b = vec![0.0f32; batch * k * n];
        rng.fill(&mut a);
        rng.fill(&mut b);
        let mut out = vec![0.0f32; batch * m * n];
        bmm(&mut out, &a, &b, batch, m, k, n);
        for t in 0..batch {
            let want = naive(&a[t * m * k..][..m * k], &b[t * k * n..][..k * n], m, k, n);
            assert_eq!(out[t * m * n..][..m * n], want[..]);
        }
    }
}
