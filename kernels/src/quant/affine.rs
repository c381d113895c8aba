//! Affine quantization as ExecuTorch's `quantized_decomposed` ops compute it:
//! `q = clamp(rint(x * (1/scale)) + zero_point, min, max)` and `x = (q - zero_point) * scale`,
//! all in f32.

/// An integer type a quantized tensor holds.
pub trait Quant: Copy {
    fn to_i32(self) -> i32;
    /// `v` is already inside the type's range (lowering checks `min`/`max`).
    fn from_i32(v: i32) -> Self;
    /// `quantize` by a faster path with the same results, where the type has one: true if it wrote `out`.
    #[inline]
    fn quantize_fast(_x: &[f32], _out: &mut [Self], _inv_scale: f32, _zero_point: i32, _min: i32, _max: i32) -> bool {
        false
    }
}

impl Quant for i8 {
    #[inline]
    fn to_i32(self) -> i32 {
        i32::from(self)
    }
    #[inline]
    fn from_i32(v: i32) -> Self {
        v as i8
    }
    #[inline]
    fn quantize_fast(x: &[f32], out: &mut [Self], inv_scale: f32, zero_point: i32, min: i32, max: i32) -> bool {
        crate::quant::affine_avx2::quantize_i8(x, out, inv_scale, zero_point, min, max)
    }
}

impl Quant for u8 {
    #[inline]
    fn to_i32(self) -> i32 {
        i32::from(self)
    }
    #[inline]
    fn from_i32(v: i32) -> Self {
        v as u8
    }
}

/// 1.5 · 2^23: adding and subtracting it rounds an f32 below 2^22 to an integer, ties to even.
const MAGIC: f32 = 12_582_912.0;

/// One value: the product is rounded to f32 before `rint` (ties to even), as in ExecuTorch.
/// NaN goes to `min`, where x86's out-of-range conversion sends it.
#[inline(always)]
#[allow(clippy::manual_clamp)]
pub fn quantize_one(v: f32, inv_scale: f32, zero_point: i32, min: i32, max: i32) -> i32 {
    let t = v * inv_scale;
    // The same result as `rintf`, without a call on the common path.
    let r = if t > -4_194_304.0 && t < 4_194_304.0 {
        (t + MAGIC) - MAGIC
    } else {
        libm::rintf(t)
    };
    let r = r + zero_point as f32;
    if r.is_nan() {
        return min;
    }
    // Not `clamp`, which asserts `min <= max`: no panic path (lowering checks the bounds).
    (r as i32).max(min).min(max)
}

/// Dequantization parameters of an int8 input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affine {
    pub scale: f32,
    pub zero_point: i32,
}

impl Affine {
    #[inline(always)]
    pub fn dequantize(self, q: i8) -> f32 {
        (i32::from(q) - self.zero_point) as f32 * self.scale
    }
}

/// Quantization of an output: `inv_scale` is `1.0f32 / scale as f32`; `[min, max]`
/// may be narrower than the dtype where a clamp (relu, hardtanh) was fused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Out {
    pub inv_scale: f32,
    pub zero_point: i32,
    pub min: i32,
    pub max: i32,
}

impl Out {
    /// Branch-free, so rows vectorize: equal to `quantize_one` for zero points
    /// within ±2^21 (int8 ones are). NaN lands on `min`, as there.
    #[inline(always)]
    #[allow(clippy::manual_clamp)]
    pub fn quantize(self, v: f32) -> i8 {
        // Not `clamp`: `max` sends NaN to the low bound, `clamp` would keep it.
        let t = (v * self.inv_scale).max(-4_194_304.0).min(4_194_304.0);
        let r = ((t + MAGIC) - MAGIC) + self.zero_point as f32;
        // Not `clamp`, which asserts `min <= max`: no panic path.
        (r as i32).max(self.min).min(self.max) as i8
    }

    /// `out[i] = quantize(acc[i] * scale + bias)`: one channel's row of sums.
    #[inline(always)]
    pub fn requantize_row(self, acc: &[i32], out: &mut [i8], scale: f32, bias: f32) {
        out.iter_mut()
            .zip(acc)
            .for_each(|(o, &a)| *o = self.quantize(a as f32 * scale + bias));
    }
}

// On Cortex-M one shared copy: inlined, each residual add of a model would be its own
// unrolled loop (mobilenet_v2_int8's ten took 6 KB of flash).
/// `Q(DQ(a) + DQ(b))` elementwise, with the same f32 steps as the three separate ops.
#[cfg_attr(target_arch = "arm", inline(never))]
pub fn add(a: &[i8], b: &[i8], out: &mut [i8], qa: Affine, qb: Affine, o: Out) {
    if crate::quant::affine_avx2::add(a, b, out, qa, qb, o) {
        return;
    }
    for (o_, (&x, &y)) in out.iter_mut().zip(a.iter().zip(b)) {
        *o_ = o.quantize(qa.dequantize(x) + qb.dequantize(y));
    }
}

/// `Q(mean(DQ(x)))` over the middle axis of `[outer, reduce, inner]`, summed in order from 0.
pub fn mean_axis(
    x: &[i8],
    out: &mut [i8],
    q: Affine,
    outer: usize,
    reduce: usize,
    inner: usize,
    o: Out,
) {
    let count = reduce as f32;
    for (k, out) in out.iter_mut().take(outer * inner).enumerate() {
        let (i, j) = (k / inner.max(1), k % inner.max(1));
        let base = i * reduce * inner + j;
        let sum = (0..reduce).fold(0.0f32, |s, r| {
            s + x.get(base + r * inner).map_or(0.0, |&v| q.dequantize(v))
        });
        *out = o.quantize(sum / count);
    }
}

/// `out[i] = quantize(x[i])`; `inv_scale` is `1.0f32 / scale as f32`, computed by the caller once.
pub fn quantize<T: Quant>(
    x: &[f32],
    out: &mut [T],
    inv_scale: f32,
    zero_point: i32,
    min: i32,
    max: i32,
) {
    if T::quantize_fast(x, out, inv_scale, zero_point, min, max) {
        return;
    }
    out.iter_mut()
        .zip(x)
        .for_each(|(o, &v)| *o = T::from_i32(quantize_one(v, inv_scale, zero_point, min, max)));
}

/// `out[i] = (q[i] - zero_point) * scale`.
pub fn dequantize<T: Quant>(q: &[T], out: &mut [f32], scale: f32, zero_point: i32) {
    out.iter_mut()
        .zip(q)
        .for_each(|(o, &v)| *o = (v.to_i32() - zero_point) as f32 * scale);
}

/// Per channel along an axis: `q` is `[outer, channels, inner]`, channel `c` uses
/// `scales[c]` and `zero_points[c]` (zero without zero points).
pub fn dequantize_per_channel<T: Quant, Z: Copy + Into<i64>>(
    q: &[T],
    out: &mut [f32],
    scales: &[f32],
    zero_points: Option<&[Z]>,
    channels: usize,
    inner: usize,
) {
    let block = channels * inner;
    if block == 0 {
        return;
    }
    for (o, q) in out.chunks_mut(block).zip(q.chunks(block)) {
        for (c, (o, q)) in o.chunks_mut(inner).zip(q.chunks(inner)).enumerate() {
            let scale = scales.get(c).copied().unwrap_or(0.0);
            // ExecuTorch narrows the zero point to i32 before subtracting.
            let zp = zero_points
                .and_then(|z| z.get(c))
                .map_or(0, |&z| z.into() as i32);
            dequantize(q, o, scale, zp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_to_even_and_clamps() {
        let x = [0.5f32, 1.5, 2.5, -0.5, -1.5, 100.0, -100.0, 0.26];
        let mut q = [0i8; 8];
        quantize(&x, &mut q, 1.0, 0, -128, 127);
        assert_eq!(q, [0, 2, 2, 0, -2, 100, -100, 0]);
        // Scale 0.5 doubles; zero point 3 shifts; the range clamps.
        quantize(&x, &mut q, 2.0, 3, -10, 10);
        assert_eq!(q, [4, 6, 8, 2, 0, 10, -10, 4]);
    }

    #[test]
    fn quantizes_to_u8_and_nan_to_min() {
        let mut q = [0u8; 4];
        quantize(&[-1.0f32, 0.0, 1.0, f32::NAN], &mut q, 10.0, 128, 0, 255);
        assert_eq!(q, [118, 128, 138, 0]);
    }

    #[test]
    fn inverse_scale_product_is_rounded_in_f32() {
        let inv = 1.0f32 / 0.1f32;
        // An exact tie goes to even.
        assert_eq!(quantize_one(0.25, inv, 0, -128, 127), 2);
        // 0.35f32 * 10 is 3.49999994 exactly, but 3.5 once rounded to f32: rint gives 4, not 3.
        assert!(f64::from(0.35f32) * 10.0 < 3.5);
        assert_eq!(quantize_one(0.35, inv, 0, -128, 127), 4);
    }

    #[test]
    fn dequantizes_per_tensor() {
        let mut out = [0.0f32; 3];
        dequantize(&[-128i8, 0, 127], &mut out, 0.5, -3);
        assert_eq!(out, [-62.5, 1.5, 65.0]);
        dequantize(&[0u8, 255, 128], &mut out, 0.25, 128);
        assert_eq!(out, [-32.0, 31.75, 0.0]);
    }

    #[test]
    fn dequantizes_per_channel_along_the_middle_axis() {
        // [outer 2, channels 2, inner 2]
        let q = [1i8, 2, 3, 4, 5, 6, 7, 8];
        let mut out = [0.0f32; 8];
        dequantize_per_channel(&q, &mut out, &[1.0, 0.5], Some(&[1i64, -1][..]), 2, 2);
        assert_eq!(out, [0.0, 1.0, 2.0, 2.5, 4.0, 5.0, 4.0, 4.5]);
        dequantize_per_channel(&q, &mut out, &[2.0, 1.0], None::<&[i32]>, 2, 2);
        assert_eq!(out, [2.0, 4.0, 3.0, 4.0, 10.0, 12.0, 7.0, 8.0]);
    }

    #[test]
    fn fast_rounding_agrees_with_rintf_everywhere() {
        let mut rng = crate::testutil::Lcg(3);
        for e in [1.0f32, 100.0, 1e5, 4_194_303.0, 4_194_304.0, 9e6, 3e9] {
            for _ in 0..200 {
                let v = rng.next_f32() * e;
                let want = (libm::rintf(v) as i32).clamp(i32::MIN + 1, i32::MAX - 1);
                assert_eq!(
                    quantize_one(v, 1.0, 0, i32::MIN + 1, i32::MAX - 1),
                    want,
                    "{v}"
                );
            }
        }
        for v in [2.5f32, 3.5, -2.5, -0.5, 4_194_303.5, -4_194_302.5] {
            assert_eq!(
                quantize_one(v, 1.0, 0, i32::MIN, i32::MAX),
                libm::rintf(v) as i32,
                "{v}"
            );
        }
    }

    #[test]
    fn branch_free_quantize_agrees_with_quantize_one() {
        let mut rng = crate::testutil::Lcg(9);
        for zp in [-128, -3, 0, 5, 127] {
            let o = Out {
                inv_scale: 1.0 / 0.037f32,
                zero_point: zp,
                min: -128,
                max: 127,
            };
            for e in [1.0f32, 4.0, 10.0, 1e6, 1e30] {
                for _ in 0..300 {
                    let v = rng.next_f32() * e;
                    assert_eq!(
                        i32::from(o.quantize(v)),
                        quantize_one(v, o.inv_scale, zp, -128, 127),
                        "{v} zp {zp}"
                    );
                }
            }
            for v in [
                f32::NAN,
                f32::INFINITY,
                f32::NEG_INFINITY,
                0.0185,
                -0.0185,
                0.0555,
            ] {
                assert_eq!(
                    i32::from(o.quantize(v)),
                    quantize_one(v, o.inv_scale, zp, -128, 127),
                    "{v} zp {zp}"
                );
            }
        }
    }

    #[test]
    fn add_matches_the_three_float_ops() {
        let (qa, qb) = (
            Affine {
                scale: 0.05,
                zero_point: -3,
            },
            Affine {
                scale: 0.02,
                zero_point: 7,
            },
        );
        let o = Out {
            inv_scale: 1.0 / 0.06f32,
            zero_point: 2,
            min: -128,
            max: 127,
        };
        let a: [i8; 6] = [-128, -3, 0, 50, 127, 9];
        let b: [i8; 6] = [127, 7, -128, -50, 127, 1];
        let mut out = [0i8; 6];
        add(&a, &b, &mut out, qa, qb, o);
        for i in 0..6 {
            let (mut fa, mut fb, mut q) = ([0.0f32], [0.0f32], [0i8]);
            dequantize(&a[i..=i], &mut fa, 0.05, -3);
            dequantize(&b[i..=i], &mut fb, 0.02, 7);
            quantize(&[fa[0] + fb[0]], &mut q, o.inv_scale, 2, -128, 127);
            assert_eq!(out[i], q[0], "element {i}");
        }
        assert_eq!(
            out[1], 2,
            "both at their zero points: the output's zero point"
        );
    }

    #[test]
    fn mean_axis_averages_dequantized_values() {
        // [outer 2, reduce 2, inner 2]
        let x: [i8; 8] = [0, 2, 4, 6, 10, 10, 20, -20];
        let mut out = [0i8; 4];
        let o = Out {
            inv_scale: 1.0,
            zero_point: 1,
            min: -128,
            max: 127,
        };
        mean_axis(
            &x,
            &mut out,
            Affine {
                scale: 0.5,
                zero_point: 0,
            },
            2,
            2,
            2,
            o,
        );
        // means 1, 2, 7.5, -2.5; plus the zero point after rounding to even
        assert_eq!(out, [2, 3, 9, -1]);
    }

    #[test]
    fn round_trip_is_within_half_a_step() {
        let mut rng = crate::testutil::Lcg(7);
        let mut x = [0.0f32; 64];
        rng.fill(&mut x);
        let (scale, zp) = (0.01f32, -5);
        let mut q = [0i8; 64];
        quantize(&x, &mut q, 1.0 / scale, zp, -128, 127);
        let mut back = [0.0f32; 64];
        dequantize(&q, &mut back, scale, zp);
        for (a, b) in x.iter().zip(&back) {
            // Values past the clamped range are cut; the rest are within half a step.
            let lo = (-128 - zp) as f32 * scale;
            let hi = (127 - zp) as f32 * scale;
            let want = a.clamp(lo, hi);
            assert!((want - b).abs() <= scale * 0.5 + 1e-6, "{a} -> {b}");
        }
    }
}
