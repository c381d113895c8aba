use core::f64::consts::PI;

/// The one-sided real DFT of `x` (`[outer, n, inner]`) along its middle dim:
/// `out` is `[outer, n / 2 + 1, inner]` complex pairs, each times `scale`.
///
/// A direct DFT with the twiddle advanced by complex rotation, summed in f64:
/// ExecuTorch's pocketfft sums in f32, so this is at least as close to the
/// exact transform. O(n^2) per row; fine for the frame sizes of audio front-ends.
pub fn rfft(x: &[f32], out: &mut [f32], outer: usize, n: usize, inner: usize, scale: f32) {
    let bins = n / 2 + 1;
    if n == 0 {
        return;
    }
    for (src, dst) in x.chunks_exact(n * inner).zip(out.chunks_exact_mut(bins * inner * 2)).take(outer) {
        for (k, row) in dst.chunks_exact_mut(inner * 2).enumerate() {
            let (ws, wc) = libm::sincos(-2.0 * PI * k as f64 / n as f64);
            for (i, pair) in row.chunks_exact_mut(2).enumerate() {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                let (mut zr, mut zi) = (1.0f64, 0.0f64);
                for v in src.iter().skip(i).step_by(inner) {
                    let v = f64::from(*v);
                    re += v * zr;
                    im += v * zi;
                    (zr, zi) = (zr * wc - zi * ws, zr * ws + zi * wc);
                }
                pair[0] = re as f32 * scale;
                pair[1] = im as f32 * scale;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Against the definition, with the angle reduced exactly (k t mod n).
    #[test]
    fn matches_the_definition() {
        let (outer, n, inner) = (2, 7, 3);
        let x: [f32; 42] = core::array::from_fn(|j| ((j * 37 % 11) as f32 - 5.0) * 0.3);
        let bins = n / 2 + 1;
        let mut out = [0.0f32; 2 * 4 * 3 * 2];
        super::rfft(&x, &mut out, outer, n, inner, 0.5);
        for o in 0..outer {
            for k in 0..bins {
                for i in 0..inner {
                    let (mut re, mut im) = (0.0f64, 0.0f64);
                    for t in 0..n {
                        let a = -2.0 * core::f64::consts::PI * ((k * t) % n) as f64 / n as f64;
                        let v = f64::from(x[(o * n + t) * inner + i]);
                        re += v * libm::cos(a);
                        im += v * libm::sin(a);
                    }
                    let at = ((o * bins + k) * inner + i) * 2;
                    assert!((f64::from(out[at]) - re * 0.5).abs() < 1e-6, "re {o} {k} {i}");
                    assert!((f64::from(out[at + 1]) - im * 0.5).abs() < 1e-6, "im {o} {k} {i}");
                }
            }
        }
    }
}
