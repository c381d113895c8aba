//! Dynamic int8 quantization of activations, one scale and zero point per
//! row computed at run time (XNNPACK's `qd8`), held as the f32 values the
//! int8 codes stand for: later ops then run the exact f32 path.

/// Each run of `row` elements becomes `(q - zp) * scale`, with `q` its
/// asymmetric int8 code under the row's own range (widened to include 0).
pub fn fake_quant_rows(x: &[f32], out: &mut [f32], row: usize) {
    if row == 0 {
        return;
    }
    for (src, dst) in x.chunks_exact(row).zip(out.chunks_exact_mut(row)) {
        let (lo, hi) = src.iter().fold((0.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        let scale = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
        let zero_point = zero_point(lo / scale, hi / scale);
        let inv = 1.0 / scale;
        for (o, &v) in dst.iter_mut().zip(src) {
            let q = (libm::roundf(v * inv) + zero_point).clamp(-128.0, 127.0);
            *o = (q - zero_point) * scale;
        }
    }
}

/// The zero point that puts the smaller rounding error at the end of the
/// range it favours, rounded and clamped to int8.
pub(crate) fn zero_point(lo: f32, hi: f32) -> f32 {
    let z = if -128.0 + lo + (127.0 + hi) > 0.0 { -128.0 - lo } else { 127.0 - hi };
    libm::roundf(z).clamp(-128.0, 127.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_keep_their_range_within_half_a_step() {
        let x = [-1.0f32, 0.0, 0.5, 3.0, 10.0, 20.0, 30.0, 40.0];
        let mut out = [0.0f32; 8];
        fake_quant_rows(&x, &mut out, 4);
        for (row, (a, b)) in x.chunks(4).zip(out.chunks(4)).enumerate() {
            let step = (a.iter().fold(0.0f32, |m, &v| m.max(v)) - a.iter().fold(0.0f32, |m, &v| m.min(v))) / 255.0;
            for (u, v) in a.iter().zip(b) {
                assert!((u - v).abs() <= step * 0.5 + 1e-6, "row {row}: {u} -> {v}");
            }
        }
        assert_eq!(out[1], 0.0, "zero is exact");
    }
}
