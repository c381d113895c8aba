//! Blocked f32 matrix product with a fused bias-and-clamp epilogue:
//! `out[i][j] = clamp(Σ_k a[i][k] * b[k][j] + bias[i])`.
//!
//! This is the workhorse of 1×1 convolutions (`a` = weights `[cout, cin]`,
//! `b` = activations `[cin, h*w]`). The sum order differs from ExecuTorch's
//! portable kernel (blocks, FMA), within the same rounding as XNNPACK's.

/// What happens to each output after the sum: per-row bias, then clamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epilogue<'a> {
    pub bias: Option<&'a [f32]>,
    /// `(min, max)`; `None` keeps values (and NaNs) as they are.
    pub clamp: Option<(f32, f32)>,
}

impl Epilogue<'_> {
    pub const NONE: Epilogue<'static> = Epilogue { bias: None, clamp: None };

    #[inline(always)]
    pub fn apply(&self, row: usize, v: f32) -> f32 {
        let v = match self.bias {
            Some(b) => v + b.get(row).copied().unwrap_or(0.0),
            None => v,
        };
        match self.clamp {
            // Written so a NaN passes through, as ExecuTorch's clamp does.
            Some((lo, hi)) => {
                let v = if v < lo { lo } else { v };
                if v > hi {
                    hi
                } else {
                    v
                }
            }
            None => v,
        }
    }
}

/// `out[m, n] = epilogue(a[m, k] @ b[k, n])`, all row-major.
pub fn gemm(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, epilogue: Epilogue<'_>) {
    let fits = out.len() >= m * n && a.len() >= m * k && b.len() >= k * n;
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if fits && std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        // SAFETY: AVX2 and FMA were detected on this CPU, and `fits` checked
        // that every slice holds the elements the kernel indexes.
        unsafe { avx2::gemm(out, a, b, m, k, n, epilogue) };
        return;
    }
    #[cfg(all(target_arch = "x86_64", not(feature = "std"), target_feature = "avx2", target_feature = "fma"))]
    if fits {
        // SAFETY: the target enables AVX2 and FMA at compile time, and `fits`
        // checked that every slice holds the elements the kernel indexes.
        unsafe { avx2::gemm(out, a, b, m, k, n, epilogue) };
        return;
    }
    let _ = fits;
    portable(out, a, b, m, k, n, epilogue);
}

/// Register tile of the portable kernel: 4 × 4 sums stay in registers over all of `k`
/// (16 accumulators fit a Cortex-M4F's 32 single-precision registers).
const TILE: usize = 4;

/// Plain Rust for any target: full 4 × 4 tiles sum in registers, the edges one
/// output at a time. No indexing can fail: every row is sliced once, checked.
fn portable(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, epilogue: Epilogue<'_>) {
    if n == 0 || out.len() < m * n || a.len() < m * k || b.len() < k * n {
        return;
    }
    if k == 0 {
        // Empty sums: only the epilogue remains.
        for (i, o_row) in out.chunks_exact_mut(n).take(m).enumerate() {
            o_row.iter_mut().for_each(|o| *o = epilogue.apply(i, 0.0));
        }
        return;
    }
    let (full_m, full_n) = (m / TILE * TILE, n / TILE * TILE);
    for i0 in (0..full_m).step_by(TILE) {
        let rows: [&[f32]; TILE] = core::array::from_fn(|r| a.get((i0 + r) * k..(i0 + r + 1) * k).unwrap_or(&[]));
        for j0 in (0..full_n).step_by(TILE) {
            let mut acc = [[0.0f32; TILE]; TILE];
            for (kk, b_row) in b.chunks_exact(n).take(k).enumerate() {
                let Some(bv) = b_row.get(j0..j0 + TILE) else { return };
                for (acc, row) in acc.iter_mut().zip(&rows) {
                    let av = row.get(kk).copied().unwrap_or(0.0);
                    acc.iter_mut().zip(bv).for_each(|(s, &x)| *s += av * x);
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                let at = (i0 + r) * n + j0;
                if let Some(o) = out.get_mut(at..at + TILE) {
                    o.iter_mut().zip(acc).for_each(|(o, &v)| *o = epilogue.apply(i0 + r, v));
                }
            }
        }
    }
    // Edges: the last m % 4 rows and the last n % 4 columns.
    for (i, (a_row, o_row)) in a.chunks_exact(k).zip(out.chunks_exact_mut(n)).take(m).enumerate() {
        let start = if i < full_m { full_n } else { 0 };
        for (j, o) in o_row.iter_mut().enumerate().skip(start) {
            let column = b.iter().skip(j).step_by(n);
            let s = a_row.iter().take(k).zip(column).fold(0.0f32, |s, (&x, &y)| s + x * y);
            *o = epilogue.apply(i, s);
        }
    }
}

#[cfg(all(target_arch = "x86_64", any(feature = "std", all(target_feature = "avx2", target_feature = "fma"))))]
mod avx2 {
    use core::arch::x86_64::*;

    use super::Epilogue;

    /// Columns per tile: two 8-lane registers.
    const NR: usize = 16;

    /// # Safety
    /// The CPU supports AVX2 and FMA; `out`, `a`, `b` hold at least
    /// `m*n`, `m*k`, `k*n` elements.
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn gemm(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, e: Epilogue<'_>) {
        let full = n / NR * NR;
        let all = [_mm256_set1_epi32(-1); 2];
        // Column panels outermost: one panel of `b` (k × 16) stays in L1
        // while every row block of `a` passes over it.
        for j0 in (0..full).step_by(NR) {
            // SAFETY: columns j0..j0+16 are in bounds (caller's sizes).
            unsafe { rows::<false>(out, a, b, m, k, n, j0, &e, all) };
        }
        // The last n % 16 columns: the same tiles with masked loads and stores.
        let rem = n - full;
        if rem > 0 {
            let lane = |l: usize| if l < rem { -1i32 } else { 0 };
            let mask = [
                _mm256_setr_epi32(lane(0), lane(1), lane(2), lane(3), lane(4), lane(5), lane(6), lane(7)),
                _mm256_setr_epi32(lane(8), lane(9), lane(10), lane(11), lane(12), lane(13), lane(14), lane(15)),
            ];
            // SAFETY: masked lanes are never touched; unmasked ones are columns full..n, in bounds.
            unsafe { rows::<true>(out, a, b, m, k, n, full, &e, mask) };
        }
    }

    /// Every row block of one column panel: tiles of 6 rows, then the rest.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn rows<const MASKED: bool>(
        out: &mut [f32],
        a: &[f32],
        b: &[f32],
        m: usize,
        k: usize,
        n: usize,
        j0: usize,
        e: &Epilogue<'_>,
        mask: [__m256i; 2],
    ) {
        let mut i0 = 0;
        while i0 < m {
            let r = (m - i0).min(6);
            // SAFETY: rows i0..i0+r are in bounds; columns as the caller guarantees.
            unsafe {
                match r {
                    6 => tile::<6, MASKED>(out, a, b, k, n, i0, j0, e, mask),
                    5 => tile::<5, MASKED>(out, a, b, k, n, i0, j0, e, mask),
                    4 => tile::<4, MASKED>(out, a, b, k, n, i0, j0, e, mask),
                    3 => tile::<3, MASKED>(out, a, b, k, n, i0, j0, e, mask),
                    2 => tile::<2, MASKED>(out, a, b, k, n, i0, j0, e, mask),
                    _ => tile::<1, MASKED>(out, a, b, k, n, i0, j0, e, mask),
                }
            }
            i0 += r;
        }
    }

    /// An R × 16 tile of `out`, summed over all of `k` in registers. With
    /// `MASKED`, lanes off in `mask` are neither loaded nor stored.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const R: usize, const MASKED: bool>(
        out: &mut [f32],
        a: &[f32],
        b: &[f32],
        k: usize,
        n: usize,
        i0: usize,
        j0: usize,
        e: &Epilogue<'_>,
        mask: [__m256i; 2],
    ) {
        // SAFETY: the caller guarantees rows i0..i0+R inside `a` and `out`,
        // and the columns from j0 that `mask` leaves on inside `out` and `b`.
        unsafe {
            let load = |p: *const f32, m: __m256i| if MASKED { _mm256_maskload_ps(p, m) } else { _mm256_loadu_ps(p) };
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            let a_ptr = a.as_ptr().add(i0 * k);
            let mut b_ptr = b.as_ptr().add(j0);
            for kk in 0..k {
                let b0 = load(b_ptr, mask[0]);
                let b1 = load(b_ptr.add(8), mask[1]);
                for (r, acc) in acc.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*a_ptr.add(r * k + kk));
                    acc[0] = _mm256_fmadd_ps(av, b0, acc[0]);
                    acc[1] = _mm256_fmadd_ps(av, b1, acc[1]);
                }
                b_ptr = b_ptr.add(n);
            }
            for (r, acc) in acc.iter().enumerate() {
                let v = epilogue(*acc, i0 + r, e);
                let o = out.as_mut_ptr().add((i0 + r) * n + j0);
                if MASKED {
                    _mm256_maskstore_ps(o, mask[0], v[0]);
                    _mm256_maskstore_ps(o.add(8), mask[1], v[1]);
                } else {
                    _mm256_storeu_ps(o, v[0]);
                    _mm256_storeu_ps(o.add(8), v[1]);
                }
            }
        }
    }

    /// Bias and clamp on one row of a tile.
    #[inline(always)]
    unsafe fn epilogue(mut v: [__m256; 2], row: usize, e: &Epilogue<'_>) -> [__m256; 2] {
        // SAFETY: register arithmetic only.
        unsafe {
            if let Some(bias) = e.bias {
                let bv = _mm256_set1_ps(bias.get(row).copied().unwrap_or(0.0));
                v = [_mm256_add_ps(v[0], bv), _mm256_add_ps(v[1], bv)];
            }
            if let Some((lo, hi)) = e.clamp {
                let (lo, hi) = (_mm256_set1_ps(lo), _mm256_set1_ps(hi));
                // max/min return their second operand for NaN: put v second to keep NaNs.
                v = v.map(|x| _mm256_min_ps(hi, _mm256_max_ps(lo, x)));
            }
            v
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::testutil::Lcg;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, e: Epilogue<'_>) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|kk| f64::from(a[i * k + kk]) * f64::from(b[kk * n + j])).sum();
                out[i * n + j] = f64::from(e.apply(i, s as f32));
            }
        }
        out
    }

    #[test]
    fn matches_a_naive_product_on_many_shapes() {
        let mut rng = Lcg(7);
        for &(m, k, n) in &[(1, 1, 1), (6, 3, 16), (7, 5, 17), (13, 33, 49), (24, 144, 64), (2, 0, 5), (5, 9, 3)] {
            let a: Vec<f32> = (0..m * k).map(|_| rng.next_f32()).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.next_f32()).collect();
            let bias: Vec<f32> = (0..m).map(|_| rng.next_f32()).collect();
            for e in [Epilogue::NONE, Epilogue { bias: Some(&bias), clamp: Some((0.0, 0.5)) }] {
                let mut out = vec![f32::NAN; m * n];
                gemm(&mut out, &a, &b, m, k, n, e);
                let want = naive(&a, &b, m, k, n, e);
                for (g, w) in out.iter().zip(&want) {
                    assert!((f64::from(*g) - w).abs() <= 1e-5 * (1.0 + w.abs()), "{m}x{k}x{n}: {g} vs {w}");
                }
                let mut p = vec![f32::NAN; m * n];
                portable(&mut p, &a, &b, m, k, n, e);
                for (g, w) in p.iter().zip(&want) {
                    assert!((f64::from(*g) - w).abs() <= 1e-5 * (1.0 + w.abs()), "portable {m}x{k}x{n}");
                }
            }
        }
    }

    #[test]
    fn clamp_keeps_nan() {
        let mut out = [0.0f32; 1];
        gemm(&mut out, &[f32::NAN], &[1.0], 1, 1, 1, Epilogue { bias: None, clamp: Some((0.0, 6.0)) });
        assert!(out[0].is_nan());
    }
}
