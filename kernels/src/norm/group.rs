//! `native_group_norm` and instance norm (`_native_batch_norm_legit.no_stats`), with ExecuTorch's arithmetic: per (image, group) the
//! f32 sum and sum of squares, mean and variance in f64 (`E[x²] - E[x]²`), then
//! each channel as `scale * x + beta` in f64.

/// `x` is `[n, c, hw]`, in `groups` groups of `c / groups` channels. Writes
/// `out` like `x` and the per-(image, group) `mean` and `rstd`, `[n, groups]`.
#[allow(clippy::too_many_arguments)]
pub fn group_norm(
    x: &[f32],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    out: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
    n: usize,
    c: usize,
    hw: usize,
    groups: usize,
    eps: f64,
) {
    if groups == 0 {
        return;
    }
    let d = c / groups;
    let inner = d * hw;
    for i in 0..n * groups {
        let (Some(m), Some(r)) = (mean.get_mut(i), rstd.get_mut(i)) else { return };
        if inner == 0 {
            (*m, *r) = (0.0, f32::NAN);
            continue;
        }
        let Some(xs) = x.get(i * inner..(i + 1) * inner) else { return };
        let sum = xs.iter().fold(0.0f32, |s, &v| s + v);
        let sq = xs.iter().fold(0.0f32, |s, &v| s + v * v);
        let mean_value = f64::from(sum) / inner as f64;
        let variance = f64::from(sq) / inner as f64 - mean_value * mean_value;
        let rstd_value = 1.0 / libm::sqrt(variance + eps);
        let g = i % groups;
        for j in 0..d {
            let ch = g * d + j;
            let (w, b) = (weight.map(|w| w.get(ch).copied()), bias.map(|b| b.get(ch).copied()));
            let plain = weight.is_none() && bias.is_none();
            let scale = rstd_value * w.flatten().map_or(1.0, f64::from);
            let beta = -scale * mean_value + b.flatten().map_or(0.0, f64::from);
            let at = (i * d + j) * hw;
            let (Some(xs), Some(ys)) = (x.get(at..at + hw), out.get_mut(at..at + hw)) else { return };
            for (y, &v) in ys.iter_mut().zip(xs) {
                *y = if plain { ((f64::from(v) - mean_value) * rstd_value) as f32 } else { (scale * f64::from(v) + beta) as f32 };
            }
        }
        *m = mean_value as f32;
        *r = rstd_value as f32;
    }
}

/// `_native_batch_norm_legit.no_stats` on `x` as `[n, c, inner]`, in f32 like
/// ExecuTorch: per channel, f32 sums of each image's run added up, then
/// `mean`, `var = E[x²] - mean²` and `invstd = 1 / sqrt(var + eps)` (the root in f64).
#[allow(clippy::too_many_arguments)]
pub fn batch_stat_norm(
    x: &[f32],
    weight: Option<&[f32]>,
    bias: Option<&[f32]>,
    out: &mut [f32],
    mean: &mut [f32],
    invstd: &mut [f32],
    n: usize,
    c: usize,
    inner: usize,
    eps: f64,
) {
    let count = (n * inner) as f32;
    for ch in 0..c {
        let (mut sum, mut sq) = (0.0f32, 0.0f32);
        for b in 0..n {
            let at = (b * c + ch) * inner;
            let Some(xs) = x.get(at..at + inner) else { return };
            sum += xs.iter().fold(0.0f32, |s, &v| s + v);
            sq += xs.iter().fold(0.0f32, |s, &v| s + v * v);
        }
        let m = sum / count;
        let var = sq / count - m * m;
        let inv = (1.0 / libm::sqrt(f64::from(var) + eps)) as f32;
        let w = weight.and_then(|w| w.get(ch).copied()).unwrap_or(1.0);
        let bv = bias.and_then(|b| b.get(ch).copied()).unwrap_or(0.0);
        for b in 0..n {
            let at = (b * c + ch) * inner;
            let (Some(xs), Some(ys)) = (x.get(at..at + inner), out.get_mut(at..at + inner)) else { return };
            for (y, &v) in ys.iter_mut().zip(xs) {
                *y = (v - m) * inv * w + bv;
            }
        }
        if let (Some(mo), Some(io)) = (mean.get_mut(ch), invstd.get_mut(ch)) {
            (*mo, *io) = (m, inv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_groups_normalise_apart() {
        // n 1, c 2, hw 2: each channel its own group.
        let x = [1.0f32, 3.0, 10.0, 30.0];
        let (mut out, mut mean, mut rstd) = ([0.0f32; 4], [0.0f32; 2], [0.0f32; 2]);
        group_norm(&x, None, None, &mut out, &mut mean, &mut rstd, 1, 2, 2, 2, 0.0);
        assert_eq!(mean, [2.0, 20.0]);
        assert_eq!(out, [-1.0, 1.0, -1.0, 1.0]);
        group_norm(&x, Some(&[2.0, 1.0]), Some(&[0.5, 0.0]), &mut out, &mut mean, &mut rstd, 1, 2, 2, 2, 0.0);
        assert_eq!(out, [-1.5, 2.5, -1.0, 1.0]);
    }
}
