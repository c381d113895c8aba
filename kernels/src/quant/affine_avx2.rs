//! AVX2 versions of `quant.rs`'s arithmetic, for the int8 kernels and the
//! elementwise ops around them. Each gives the scalar code's exact results.
//!
//! Quantization: `Out::quantize` rounds `t = v · inv_scale` half to even, adds
//! the zero point and clamps to `[min, max]`. Clamping `t` to `[min - zp, max - zp]`
//! first and then rounding gives the same integer (the bounds are integers and
//! rounding is monotone), and a clamped `t` converts with `vcvtps2dq`, whose
//! default mode is round-half-to-even. NaN goes to `min` in both. This needs
//! `min - zp` and `max - zp` exact in f32, true for zero points within ±2^21
//! (as `Out::quantize` itself assumes).

use crate::quant::affine::{Affine, Out};

/// True when this CPU has AVX2: `cpu::avx2`, under the name the int8 kernels use.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn has_avx2() -> bool {
    crate::cpu::avx2()
}

/// The vector paths below agree with the scalar code for these parameters.
#[cfg(target_arch = "x86_64")]
#[inline]
fn exact(out: &Out) -> bool {
    out.min <= out.max
        && out.min >= i32::from(i8::MIN)
        && out.max <= i32::from(i8::MAX)
        && out.zero_point.unsigned_abs() <= 1 << 21
}

/// `quant::quantize` into int8; false (and nothing written) when it has no vector path here.
#[inline]
pub fn quantize_i8(x: &[f32], out: &mut [i8], inv_scale: f32, zero_point: i32, min: i32, max: i32) -> bool {
    let o = Out { inv_scale, zero_point, min, max };
    #[cfg(target_arch = "x86_64")]
    if has_avx2() && exact(&o) {
        // SAFETY: AVX2 is present.
        unsafe { avx2::quantize(x, out, o) };
        return true;
    }
    let _ = (x, out, o);
    false
}

/// `quant::add`; false (and nothing written) when it has no vector path here.
#[inline]
pub fn add(a: &[i8], b: &[i8], out: &mut [i8], qa: Affine, qb: Affine, o: Out) -> bool {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() && exact(&o) {
        // SAFETY: AVX2 is present.
        unsafe { avx2::add(a, b, out, qa, qb, o) };
        return true;
    }
    let _ = (a, b, out, qa, qb, o);
    false
}

#[cfg(target_arch = "x86_64")]
pub(crate) use avx2::{copy, quantize8};

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use core::arch::x86_64::*;

    use crate::quant::affine::{Affine, Out};

    /// `Out::quantize` on 8 lanes, as i32 inside `[out.min, out.max]` (see the module notes).
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    pub unsafe fn quantize_ps(v: __m256, out: Out) -> __m256i {
        // SAFETY: register arithmetic only.
        unsafe {
            let t = _mm256_mul_ps(v, _mm256_set1_ps(out.inv_scale));
            let (lo, hi) = ((out.min - out.zero_point) as f32, (out.max - out.zero_point) as f32);
            // max returns its second operand for NaN: NaN goes to the low bound.
            let t = _mm256_min_ps(_mm256_max_ps(t, _mm256_set1_ps(lo)), _mm256_set1_ps(hi));
            _mm256_add_epi32(_mm256_cvtps_epi32(t), _mm256_set1_epi32(out.zero_point))
        }
    }

    /// `Out::quantize(acc as f32 * scale + bias)` on 8 lanes: the same f32 product
    /// and sum (no fused multiply-add), as i32 inside `[out.min, out.max]`.
    ///
    /// # Safety
    /// AVX2.
    #[inline(always)]
    pub unsafe fn quantize8(acc: __m256i, scale: f32, bias: f32, out: Out) -> __m256i {
        // SAFETY: register arithmetic only.
        unsafe {
            let v = _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_set1_ps(scale)), _mm256_set1_ps(bias));
            quantize_ps(v, out)
        }
    }

    /// `len` bytes from `src` to `dst`, in vectors where they fit (short rows, no call to memcpy).
    ///
    /// # Safety
    /// AVX2; `len` readable at `src`, writable at `dst`, not overlapping.
    #[inline(always)]
    pub unsafe fn copy(src: *const i8, dst: *mut i8, len: usize) {
        // SAFETY: as the caller guarantees.
        unsafe {
            let mut i = 0;
            while i + 16 <= len {
                _mm_storeu_si128(dst.add(i).cast(), _mm_loadu_si128(src.add(i).cast()));
                i += 16;
            }
            if i + 8 <= len {
                _mm_storel_epi64(dst.add(i).cast(), _mm_loadl_epi64(src.add(i).cast()));
                i += 8;
            }
            // The last 0–7 bytes without a loop, which LLVM would turn into a call to memcpy.
            if i + 4 <= len {
                dst.add(i).cast::<u32>().write_unaligned(src.add(i).cast::<u32>().read_unaligned());
                i += 4;
            }
            if i + 2 <= len {
                dst.add(i).cast::<u16>().write_unaligned(src.add(i).cast::<u16>().read_unaligned());
                i += 2;
            }
            if i < len {
                *dst.add(i) = *src.add(i);
            }
        }
    }

    /// 8 lanes of i32 inside the int8 range to 8 bytes.
    ///
    /// # Safety
    /// AVX2; 8 bytes writable at `dst`.
    #[inline(always)]
    unsafe fn store8(dst: *mut i8, q: __m256i) {
        // SAFETY: as the caller guarantees.
        unsafe {
            let words = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256::<1>(q));
            _mm_storel_epi64(dst.cast(), _mm_packs_epi16(words, words));
        }
    }

    /// # Safety
    /// AVX2; `exact(out)`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn quantize(x: &[f32], out: &mut [i8], o: Out) {
        let n = x.len().min(out.len());
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: elements i..i+8 are inside both slices.
            unsafe { store8(out.as_mut_ptr().add(i), quantize_ps(_mm256_loadu_ps(x.as_ptr().add(i)), o)) };
            i += 8;
        }
        let (x, out) = (x.get(i..n).unwrap_or(&[]), out.get_mut(i..n).unwrap_or(&mut []));
        for (o_, &v) in out.iter_mut().zip(x) {
            *o_ = o.quantize(v);
        }
    }

    /// `(q - zp) as f32 * scale` for 8 int8 values.
    ///
    /// # Safety
    /// AVX2; 8 bytes readable at `src`.
    #[inline(always)]
    unsafe fn dequantize8(src: *const i8, q: Affine) -> __m256 {
        // SAFETY: as the caller guarantees.
        unsafe {
            let v = _mm256_cvtepi8_epi32(_mm_loadl_epi64(src.cast()));
            let v = _mm256_sub_epi32(v, _mm256_set1_epi32(q.zero_point));
            _mm256_mul_ps(_mm256_cvtepi32_ps(v), _mm256_set1_ps(q.scale))
        }
    }

    /// # Safety
    /// AVX2; `exact(o)`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn add(a: &[i8], b: &[i8], out: &mut [i8], qa: Affine, qb: Affine, o: Out) {
        let n = a.len().min(b.len()).min(out.len());
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: elements i..i+8 are inside all three slices.
            unsafe {
                let v = _mm256_add_ps(dequantize8(a.as_ptr().add(i), qa), dequantize8(b.as_ptr().add(i), qb));
                store8(out.as_mut_ptr().add(i), quantize_ps(v, o));
            }
            i += 8;
        }
        for j in i..n {
            if let (Some(o_), Some(&x), Some(&y)) = (out.get_mut(j), a.get(j), b.get(j)) {
                *o_ = o.quantize(qa.dequantize(x) + qb.dequantize(y));
            }
        }
    }
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use std::vec::Vec;

    use super::has_avx2;
    use crate::quant::affine::{self, Affine, Out};
    use crate::testutil::Lcg;

    #[test]
    fn simd_requantization_matches_out_quantize() {
        use core::arch::x86_64::*;
        if !has_avx2() {
            std::eprintln!("note: no AVX2 on this CPU, this SIMD test was not run");
            return;
        }
        let mut rng = Lcg(5);
        // Exact ties (acc · 0.5 · 1 = k + 0.5), both clamps, huge sums, and NaN / infinity from the scale.
        let accs: Vec<i32> = (0..64)
            .map(|i| match i % 4 {
                0 => (i - 32) | 1,
                1 => (rng.next_f32() * 3000.0) as i32,
                2 => (rng.next_f32() * 2.0e9) as i32,
                _ => [i32::MIN, i32::MAX, 255, -257][(i / 4) as usize % 4],
            })
            .collect();
        let cases = [(0.5f32, 0.0f32), (0.013, -0.7), (1.0e-4, 0.25), (f32::INFINITY, 0.0), (f32::NAN, 1.0), (3.0, f32::NEG_INFINITY)];
        for zp in [-128, -5, 0, 17, 127] {
            for (min, max) in [(-128, 127), (-3, 127), (-128, 6), (0, 0)] {
                let out = Out { inv_scale: 1.0, zero_point: zp, min, max };
                for &(scale, bias) in &cases {
                    for chunk in accs.chunks_exact(8) {
                        let mut got = [0i32; 8];
                        // SAFETY: AVX2 is present; `chunk` and `got` hold 8 lanes.
                        unsafe {
                            let v = _mm256_loadu_si256(chunk.as_ptr().cast());
                            let q = super::avx2::quantize8(v, scale, bias, out);
                            _mm256_storeu_si256(got.as_mut_ptr().cast(), q);
                        }
                        for (&a, &g) in chunk.iter().zip(&got) {
                            let want = i32::from(out.quantize(a as f32 * scale + bias));
                            assert_eq!(g, want, "acc {a} scale {scale} bias {bias} {out:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn copy_moves_exactly_len_bytes() {
        if !has_avx2() {
            std::eprintln!("note: no AVX2 on this CPU, this SIMD test was not run");
            return;
        }
        let src: Vec<i8> = (0..48).map(|i| i as i8 + 1).collect();
        for len in 0..=40 {
            let mut dst = std::vec![0i8; 48];
            // SAFETY: AVX2 is present; both buffers hold 48 >= len bytes.
            unsafe { super::copy(src.as_ptr(), dst.as_mut_ptr(), len) };
            assert_eq!(&dst[..len], &src[..len], "len {len}");
            assert!(dst[len..].iter().all(|&v| v == 0), "len {len} wrote past the end");
        }
    }

    #[test]
    fn simd_quantize_and_add_match_the_scalar_code() {
        if !has_avx2() {
            std::eprintln!("note: no AVX2 on this CPU, this SIMD test was not run");
            return;
        }
        let mut rng = Lcg(17);
        // Ties at scale 1, values past both clamps, NaN and infinities, and a tail of 5.
        let mut x: Vec<f32> = (0..85).map(|i| (i as f32 - 40.0) * 0.5).collect();
        x.extend((0..64).map(|_| rng.next_f32() * 300.0));
        x.extend([f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 1e30, -1e30, 2.5, -2.5]);
        for zp in [-128, -7, 0, 3, 127] {
            for (min, max) in [(-128, 127), (-128, 5), (0, 127)] {
                for inv in [1.0f32, 1.0 / 0.037, 7.5] {
                    let mut got = std::vec![0i8; x.len()];
                    let mut want = std::vec![0i8; x.len()];
                    assert!(super::quantize_i8(&x, &mut got, inv, zp, min, max));
                    for (w, &v) in want.iter_mut().zip(&x) {
                        *w = affine::quantize_one(v, inv, zp, min, max) as i8;
                    }
                    assert_eq!(got, want, "quantize zp {zp} [{min}, {max}] inv {inv}");
                }
            }
        }
        let a: Vec<i8> = (0..203).map(|i| (i * 37 % 256) as u8 as i8).collect();
        let b: Vec<i8> = (0..203).map(|i| (i * 101 % 256) as u8 as i8).collect();
        for (za, zb, zo) in [(0, 0, 0), (-128, 127, 3), (5, -9, -20)] {
            let (qa, qb) = (Affine { scale: 0.05, zero_point: za }, Affine { scale: 0.021, zero_point: zb });
            let o = Out { inv_scale: 1.0 / 0.06f32, zero_point: zo, min: -128, max: 127 };
            let mut got = std::vec![0i8; a.len()];
            let mut want = std::vec![0i8; a.len()];
            assert!(super::add(&a, &b, &mut got, qa, qb, o));
            for (w, (&x, &y)) in want.iter_mut().zip(a.iter().zip(&b)) {
                *w = o.quantize(qa.dequantize(x) + qb.dequantize(y));
            }
            assert_eq!(got, want, "add {za} {zb} {zo}");
        }
    }
}
