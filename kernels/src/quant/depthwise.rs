//! Int8 depthwise 3×3 (padding 1, stride 1 or 2) with AVX2, one channel plane at a time.
//!
//! The plane is widened once to `x - x_zp` into a zero-bordered i16 copy, and the
//! outputs are computed over the flat copy as if it had no row ends: output `o`
//! of a padded row reads the same offsets from every row, so one loop covers the
//! plane with no per-row work, and the outputs that land in the border columns
//! are dropped when the rows are copied out. Stride 2 goes row by row instead
//! (a flat pass would compute every other row for nothing). `vpmaddwd` on a 32-bit load at i16
//! offset `c` sums columns `c` and `c+1` of a kernel row in one lane; a load at
//! `c+2` with the weight pair `(w2, 0)` adds the third tap. With stride 2 the
//! lanes of one load are consecutive outputs; with stride 1 they are every other
//! output, so a second load one column on gives the odd ones. Products fit in i16
//! and sums in i32, so they are exact, and the requantization repeats the
//! portable kernel's f32 steps: the outputs are the same bits.

use crate::conv::im2col::Conv2d;

/// i16 elements of the padded plane copy (and bytes of the output copy): 32 KiB on the stack.
pub(crate) const PLANE: usize = 16 * 1024;
/// Reads run this far past the last output (a vector, its third tap, a second vector).
const SLACK: usize = 64;

/// Padded row width in elements, and the output copy's row width.
pub(crate) const fn widths(p: &Conv2d) -> (usize, usize) {
    if p.stride_w == 1 {
        (p.in_w + 2, p.in_w + 2)
    } else {
        // Row by row: each output row is whole vectors.
        (p.in_w + 2, p.out_w.div_ceil(16) * 16)
    }
}

/// True for the depthwise convolutions this kernel covers (the caller checks slice lengths
/// and that it is a 3×3 with padding 1 and stride 1 or 2, as `qconv3x3::supports`).
pub fn supports(p: &Conv2d) -> bool {
    let (w, flat) = widths(p);
    p.groups == p.in_channels
        && p.out_channels == p.in_channels
        && (p.in_h + 3) * w + SLACK <= PLANE
        && p.out_h * flat + SLACK <= PLANE
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use core::arch::x86_64::*;

    use super::{widths, PLANE};
    use crate::conv::im2col::Conv2d;
    use crate::quant::conv::Requant;
    use crate::quant::affine_avx2::{copy, quantize8};

    /// # Safety
    /// The CPU supports AVX2; `supports(p)` and `qconv3x3::supports(p)`; `x`, `w`
    /// and `out` hold at least `batch*c*ih*iw`, `c*9` and `batch*c*oh*ow` elements.
    #[target_feature(enable = "avx2")]
    pub unsafe fn depthwise(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
        let (ih, iw, oh, ow) = (p.in_h, p.in_w, p.out_h, p.out_w);
        let (pw, fw) = widths(p);
        // The border and everything past the plane stay zero; the interior is rewritten per channel.
        let mut plane = [0i16; PLANE];
        let mut flat = [0i8; PLANE];
        let zp = x_zp as i16;
        for n in 0..p.batch {
            for c in 0..p.in_channels {
                let plane_at = (n * p.in_channels + c) * ih * iw;
                for iy in 0..ih {
                    // SAFETY: the caller guarantees this channel's `ih` rows inside `x`;
                    // padded row `iy + 1` holds `pw = iw + 2` elements inside `plane`.
                    unsafe { widen(x.as_ptr().add(plane_at + iy * iw), plane.as_mut_ptr().add((iy + 1) * pw + 1), iw, zp) };
                }
                let pair = |a: i8, b: i8| i32::from(a as i16 as u16) | (i32::from(b) << 16);
                let tap = |t: usize| w.get(c * 9 + t).copied().unwrap_or(0);
                // Loops, not closures, around intrinsics: closures would not inherit AVX2.
                let (mut w01, mut w2) = ([_mm256_setzero_si256(); 3], [_mm256_setzero_si256(); 3]);
                for ky in 0..3 {
                    w01[ky] = _mm256_set1_epi32(pair(tap(3 * ky), tap(3 * ky + 1)));
                    w2[ky] = _mm256_set1_epi32(pair(tap(3 * ky + 2), 0));
                }
                let k = Channel {
                    w01,
                    w2,
                    pw,
                    scale: rq.scale.get(c).copied().unwrap_or(0.0),
                    bias: rq.bias.get(c).copied().unwrap_or(0.0),
                    rq,
                };
                let count = oh * fw;
                // SAFETY: `supports` keeps every read below `(ih + 3) * pw + SLACK`
                // and every write below `oh * fw + SLACK`, inside both buffers.
                unsafe {
                    if p.stride_w == 1 {
                        k.stride1(&plane, &mut flat, count);
                    } else {
                        k.stride2(&plane, &mut flat, oh, fw);
                    }
                }
                let at = (n * p.in_channels + c) * oh * ow;
                for oy in 0..oh {
                    // SAFETY: the caller guarantees this channel's `oh` rows inside `out`;
                    // row `oy` of `flat` holds `fw >= ow` outputs.
                    unsafe { copy(flat.as_ptr().add(oy * fw), out.as_mut_ptr().add(at + oy * ow), ow) };
                }
            }
        }
    }

    /// `dst[i] = src[i] - zp` for `i < len`.
    ///
    /// # Safety
    /// AVX2; `len` readable at `src`, writable at `dst`.
    #[inline(always)]
    unsafe fn widen(src: *const i8, dst: *mut i16, len: usize, zp: i16) {
        // SAFETY: as the caller guarantees.
        unsafe {
            let mut i = 0;
            while i + 16 <= len {
                let v = _mm256_cvtepi8_epi16(_mm_loadu_si128(src.add(i).cast()));
                _mm256_storeu_si256(dst.add(i).cast(), _mm256_sub_epi16(v, _mm256_set1_epi16(zp)));
                i += 16;
            }
            if i + 8 <= len {
                let v = _mm_cvtepi8_epi16(_mm_loadl_epi64(src.add(i).cast()));
                _mm_storeu_si128(dst.add(i).cast(), _mm_sub_epi16(v, _mm_set1_epi16(zp)));
                i += 8;
            }
            while i < len {
                *dst.add(i) = i16::from(*src.add(i)) - zp;
                i += 1;
            }
        }
    }

    /// One channel's weight pairs (taps 0 and 1, then tap 2 with 0, per kernel row) and requantization.
    struct Channel<'a> {
        w01: [__m256i; 3],
        w2: [__m256i; 3],
        pw: usize,
        scale: f32,
        bias: f32,
        rq: &'a Requant<'a>,
    }

    impl Channel<'_> {
        /// Kernel row `ky` for the 8 outputs whose first tap starts at `r` (stride apart by the layout).
        #[inline(always)]
        unsafe fn taps(&self, acc: __m256i, r: *const i16, ky: usize) -> __m256i {
            // SAFETY: the caller keeps r..r+18 inside the plane.
            unsafe {
                let a = _mm256_madd_epi16(_mm256_loadu_si256(r.cast()), self.w01[ky]);
                let b = _mm256_madd_epi16(_mm256_loadu_si256(r.add(2).cast()), self.w2[ky]);
                _mm256_add_epi32(acc, _mm256_add_epi32(a, b))
            }
        }

        /// Outputs `o..o+16` of the flat copy; `even` holds `o, o+2, …`, `odd` `o+1, o+3, …` (stride 1)
        /// or `lo` holds `o..o+8` and `hi` `o+8..o+16` (stride 2).
        #[inline(always)]
        unsafe fn store16(&self, flat: *mut i8, a: __m256i, b: __m256i, interleaved: bool) {
            let out = self.rq.out;
            // SAFETY: register arithmetic, and a 16-byte store the caller keeps in bounds.
            unsafe {
                let (qa, qb) = (quantize8(a, self.scale, self.bias, out), quantize8(b, self.scale, self.bias, out));
                // Per 128-bit lane: a0–a3, b0–b3 | a4–a7, b4–b7.
                let words = _mm256_packs_epi32(qa, qb);
                let words = if interleaved {
                    // Outputs 0 2 4 6 1 3 5 7 in each lane: back to 0..8.
                    let order = _mm256_setr_epi8(
                        0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15, 0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7,
                        14, 15,
                    );
                    _mm256_shuffle_epi8(words, order)
                } else {
                    // Outputs 0–3 8–11 | 4–7 12–15: swap the middle quarters.
                    _mm256_permute4x64_epi64::<0b11_01_10_00>(words)
                };
                let bytes = _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256::<1>(words));
                _mm_storeu_si128(flat.cast(), bytes);
            }
        }

        /// # Safety
        /// AVX2; `plane` holds `count + 2 * pw + 20` elements, `flat` `count + 16`.
        #[inline(always)]
        unsafe fn stride1(&self, plane: &[i16], flat: &mut [i8], count: usize) {
            let (p, f, pw) = (plane.as_ptr(), flat.as_mut_ptr(), self.pw);
            for o in (0..count).step_by(16) {
                // SAFETY: as the caller guarantees.
                unsafe {
                    let (mut even, mut odd) = (_mm256_setzero_si256(), _mm256_setzero_si256());
                    for ky in 0..3 {
                        let r = p.add(o + ky * pw);
                        even = self.taps(even, r, ky);
                        odd = self.taps(odd, r.add(1), ky);
                    }
                    self.store16(f.add(o), even, odd, true);
                }
            }
        }

        /// # Safety
        /// AVX2; `plane` holds `(2 * oh + 1) * pw + 2 * fw + 18` elements, `flat` `oh * fw`;
        /// `fw` is a multiple of 16.
        #[inline(always)]
        unsafe fn stride2(&self, plane: &[i16], flat: &mut [i8], oh: usize, fw: usize) {
            let (p, f, pw) = (plane.as_ptr(), flat.as_mut_ptr(), self.pw);
            for oy in 0..oh {
                for ox in (0..fw).step_by(16) {
                    // SAFETY: as the caller guarantees.
                    unsafe {
                        let (mut lo, mut hi) = (_mm256_setzero_si256(), _mm256_setzero_si256());
                        for ky in 0..3 {
                            let r = p.add((2 * oy + ky) * pw + 2 * ox);
                            lo = self.taps(lo, r, ky);
                            hi = self.taps(hi, r.add(16), ky);
                        }
                        self.store16(f.add(oy * fw + ox), lo, hi, false);
                    }
                }
            }
        }
    }
}
