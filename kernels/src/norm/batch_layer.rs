//! Inference-time normalisations.

/// `_native_batch_norm_legit_no_training` on `x[batch, channels, inner]`:
/// `(x - mean) * invstd * weight + bias`, left to right in f32, where
/// `invstd = 1 / sqrt(var + eps)` is evaluated in double (ExecuTorch's `eps`
/// is a double) and rounded once. Missing weight/bias act as 1 and +0.
/// Prefer [`batch_norm_f64_eps`] when the program's double `eps` is at hand.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm(
    x: &[f32],
    out: &mut [f32],
    mean: &[f32],
    var: &[f32],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
    batch: usize,
    channels: usize,
    inner: usize,
) {
    batch_norm_f64_eps(
        x,
        out,
        mean,
        var,
        weight,
        bias,
        f64::from(eps),
        batch,
        channels,
        inner,
    );
}

/// [`batch_norm`] with the exact double `eps` stored in the program.
#[allow(clippy::too_many_arguments)]
pub fn batch_norm_f64_eps(
    x: &[f32],
    out: &mut [f32],
    mean: &[f32],
    var: &[f32],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f64,
    batch: usize,
    channels: usize,
    inner: usize,
) {
    if inner == 0 {
        return;
    }
    let rows = x.chunks_exact(inner).zip(out.chunks_exact_mut(inner));
    for ((xs, os), r) in rows.take(batch * channels).zip(0..) {
        let c = r % channels;
        let (Some(&m), Some(&v)) = (mean.get(c), var.get(c)) else {
            continue;
        };
        let invstd = (1.0 / libm::sqrt(f64::from(v) + eps)) as f32;
        let w = weight.and_then(|w| w.get(c)).copied().unwrap_or(1.0);
        let b = bias.and_then(|b| b.get(c)).copied().unwrap_or(0.0);
        os.iter_mut()
            .zip(xs)
            .for_each(|(o, &xv)| *o = (xv - m) * invstd * w + b);
    }
}

/// `native_layer_norm` over rows of `inner` elements. ExecuTorch computes
/// the variance as `E[x^2] - E[x]^2` (sums folded from 0 in f32), then
/// `(x - mean) / sqrt(var + eps) * w + b`: a division, not a multiply by rstd.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm(
    x: &[f32],
    out: &mut [f32],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
    outer: usize,
    inner: usize,
) {
    layer_norm_stats(x, out, None, weight, bias, eps, outer, inner);
}

/// [`layer_norm`] that also writes the per-row `mean` and `rstd` outputs of
/// `native_layer_norm` into `stats` as `(mean, rstd)` slices.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_stats(
    x: &[f32],
    out: &mut [f32],
    mut stats: Option<(&mut [f32], &mut [f32])>,
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    eps: f32,
    outer: usize,
    inner: usize,
) {
    if inner == 0 {
        if let Some((means, rstds)) = stats.as_mut() {
            means.iter_mut().take(outer).for_each(|m| *m = 0.0);
            rstds.iter_mut().take(outer).for_each(|r| *r = f32::NAN);
        }
        return;
    }
    let n = inner as f32;
    let rows = x.chunks_exact(inner).zip(out.chunks_exact_mut(inner));
    for (r, (xs, os)) in rows.take(outer).enumerate() {
        let sum = xs.iter().fold(0.0f32, |s, &v| s + v);
        let sq_sum = xs.iter().fold(0.0f32, |s, &v| s + v * v);
        let mean = sum / n;
        let var = sq_sum / n - mean * mean;
        let std = libm::sqrtf(var + eps);
        for (j, (o, &v)) in os.iter_mut().zip(xs).enumerate() {
            let w = weight.and_then(|w| w.get(j)).copied().unwrap_or(1.0);
            let b = bias.and_then(|b| b.get(j)).copied().unwrap_or(0.0);
            *o = (v - mean) / std * w + b;
        }
        if let Some((means, rstds)) = stats.as_mut() {
            if let Some(m) = means.get_mut(r) {
                *m = mean;
            }
            if let Some(s) = rstds.get_mut(r) {
                *s = 1.0 / std;
            }
        }
    }
}

// --- Statistics of `native_layer_norm` on their own ---

/// One statistic of [`layer_norm_stats`] per row of `inner` elements:
/// the mean, or with `rstd` the reciprocal standard deviation. The same
/// arithmetic, for programs that read the statistics.
pub fn layer_norm_stat(x: &[f32], out: &mut [f32], eps: f32, outer: usize, inner: usize, rstd: bool) {
    if inner == 0 {
        let v = if rstd { f32::NAN } else { 0.0 };
        out.iter_mut().take(outer).for_each(|o| *o = v);
        return;
    }
    let n = inner as f32;
    for (o, xs) in out.iter_mut().zip(x.chunks_exact(inner)).take(outer) {
        let sum = xs.iter().fold(0.0f32, |s, &v| s + v);
        let mean = sum / n;
        *o = if rstd {
            let sq_sum = xs.iter().fold(0.0f32, |s, &v| s + v * v);
            1.0 / libm::sqrtf(sq_sum / n - mean * mean + eps)
        } else {
            mean
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{assert_close, Lcg};
    extern crate std;
    use std::vec;

    #[test]
    fn batch_norm_known_values() {
        // batch 2, channels 2, inner 2.
        let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let mean = [1.0f32, 2.0];
        let var = [4.0f32, 0.25];
        let mut out = [0.0f32; 8];
        batch_norm(
            &x,
            &mut out,
            &mean,
            &var,
            Some(&[2.0, 1.0]),
            Some(&[0.0, 10.0]),
            0.0,
            2,
            2,
            2,
        );
        assert_eq!(out, [0.0, 1.0, 12.0, 14.0, 4.0, 5.0, 20.0, 22.0]);
        batch_norm(&x, &mut out, &mean, &var, None, None, 0.0, 2, 2, 2);
        assert_eq!(out, [0.0, 0.5, 2.0, 4.0, 2.0, 2.5, 10.0, 12.0]);
    }

    #[test]
    fn batch_norm_invstd_in_double() {
        let (v, eps) = (0.3f32, 1e-5f64);
        let mut out = [0.0f32; 1];
        batch_norm_f64_eps(&[1.7], &mut out, &[0.2], &[v], None, None, eps, 1, 1, 1);
        let invstd = (1.0 / (f64::from(v) + eps).sqrt()) as f32;
        assert_eq!(out[0], (1.7f32 - 0.2) * invstd);
    }

    #[test]
    fn layer_norm_known_and_stats() {
        let x = [1.0f32, 2.0, 3.0, 4.0, 2.0, 2.0, 2.0, 2.0];
        let mut out = [0.0f32; 8];
        let (mut m, mut r) = ([0.0f32; 2], [0.0f32; 2]);
        layer_norm_stats(&x, &mut out, Some((&mut m, &mut r)), None, None, 0.0, 2, 4);
        let s = 1.25f32.sqrt();
        assert_close(&out[..4], &[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-6);
        assert_eq!(m, [2.5, 2.0]);
        assert_eq!(r[0], 1.0 / s);
        // A constant row has zero variance: 0 / sqrt(0) is NaN without eps.
        assert!(out[4..].iter().all(|v| v.is_nan()));
        layer_norm(
            &x,
            &mut out,
            Some(&[1.0, 2.0, 3.0, 4.0]),
            Some(&[0.5; 4]),
            1e-5,
            2,
            4,
        );
        assert_eq!(out[4..], [0.5; 4]);
    }

    #[test]
    fn layer_norm_matches_reference_formula() {
        let mut rng = Lcg(21);
        let (outer, inner) = (3, 17);
        let mut x = vec![0.0f32; outer * inner];
        let mut w = vec![0.0f32; inner];
        let mut b = vec![0.0f32; inner];
        rng.fill(&mut x);
        rng.fill(&mut w);
        rng.fill(&mut b);
        let mut out = vec![0.0f32; x.len()];
        layer_norm(&x, &mut out, Some(&w), Some(&b), 1e-5, outer, inner);
        for r in 0..outer {
            let row = &x[r * inner..][..inner];
            let (mut s, mut sq) = (0.0f32, 0.0f32);
            for &v in row {
                s += v;
                sq += v * v;
            }
            let mean = s / inner as f32;
            let std = (sq / inner as f32 - mean * mean + 1e-5).sqrt();
            for j in 0..inner {
                assert_eq!(out[r * inner + j], (row[j] - mean) / std * w[j] + b[j]);
            }
        }
    }

    #[test]
    fn stats_on_their_own_match_the_fused_kernel() {
        let mut rng = Lcg(4);
        let mut x = vec![0.0f32; 3 * 8];
        rng.fill(&mut x);
        let mut out = vec![0.0f32; x.len()];
        let (mut m, mut r) = ([0.0f32; 3], [0.0f32; 3]);
        layer_norm_stats(&x, &mut out, Some((&mut m, &mut r)), None, None, 1e-5, 3, 8);
        let (mut m2, mut r2) = ([0.0f32; 3], [0.0f32; 3]);
        layer_norm_stat(&x, &mut m2, 1e-5, 3, 8, false);
        layer_norm_stat(&x, &mut r2, 1e-5, 3, 8, true);
        assert_eq!((m, r), (m2, r2));
        let mut empty = [1.0f32; 2];
        layer_norm_stat(&[], &mut empty, 1e-5, 2, 0, true);
        assert!(empty.iter().all(|v| v.is_nan()));
    }
}
