//! The x86 paths of [`super::int4`]: AVX-512 VNNI, AVX2, and the row's
//! quantization with AVX-512. Lanes are output rows, so a group's sums need no
//! horizontal adds; the integer sums are exact and the f32 steps are the
//! portable loop's, lane by lane, so every path gives the same bits.

use core::arch::x86_64::*;

use super::int4::ROWS;

/// One row of `x` against all `n` output rows.
#[derive(Clone, Copy)]
pub struct Rows {
    pub n: usize,
    pub k: usize,
    pub group: usize,
    /// `128 + zp`, the factor of each row's `corr`.
    pub zp: f32,
    pub xscale: f32,
}

/// The low `n` of 16 lanes.
#[inline(always)]
fn lanes(n: usize) -> u16 {
    if n >= 16 {
        0xffff
    } else {
        ((1u32 << n) - 1) as u16
    }
}

/// Four codes of `xu` from byte `i`, as one broadcast 32-bit word.
///
/// # Safety
/// `i + 4 <= xu.len()`.
#[inline(always)]
unsafe fn word(xu: *const u8, i: usize) -> i32 {
    // SAFETY: the caller's bound; unaligned read.
    unsafe { xu.add(i).cast::<i32>().read_unaligned() }
}

/// `out = x · W^T + bias` for one quantized row `xu` (`k` bytes `q + 128`), with
/// `vpdpbusd`: the high nibbles masked in place are `16 (c - 8)` as signed bytes,
/// the low ones shifted up the same, so each sum is 16 times the exact one.
///
/// # Safety
/// AVX-512 F/BW/VL and VNNI; the buffers hold what `linear_q4` checks
/// (`Q4::weight_bytes`, `Q4::scale_bytes`, 16 `corr` per block, `n` outputs and biases).
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn vnni(xu: &[u8], w: &[u8], scales: &[u8], corr: &[f32], bias: Option<&[f32]>, out: &mut [f32], r: Rows) {
    let Rows { n, k, group, zp, xscale } = r;
    let (groups, steps) = (k / group, group / 8);
    let high = _mm512_set1_epi8(0xf0u8 as i8);
    let (zpv, xsv) = (_mm512_set1_ps(zp), _mm512_set1_ps(xscale));
    let xp = xu.as_ptr();
    for b in 0..n.div_ceil(ROWS) {
        let o = b * ROWS;
        let mk = lanes(n - o);
        // SAFETY: block b's 16 corr, its k * 8 weight bytes and its groups * 32 scale
        // bytes are in the buffers; codes i..i + 8 of xu exist for every i below (i + 8 <= k).
        unsafe {
            let mut acc = _mm512_mul_ps(zpv, _mm512_loadu_ps(corr.as_ptr().add(o)));
            let wb = w.as_ptr().add(o * k / 2);
            let sb = scales.as_ptr().add(b * groups * ROWS * 2);
            for g in 0..groups {
                let (mut d0, mut d1) = (_mm512_setzero_si512(), _mm512_setzero_si512());
                for t in 0..steps {
                    let i = g * group + 8 * t;
                    let v = _mm512_loadu_si512(wb.add(i * 8).cast());
                    let (x0, x1) = (_mm512_set1_epi32(word(xp, i)), _mm512_set1_epi32(word(xp, i + 4)));
                    d0 = _mm512_dpbusd_epi32(d0, x0, _mm512_and_si512(v, high));
                    d1 = _mm512_dpbusd_epi32(d1, x1, _mm512_and_si512(_mm512_slli_epi16::<4>(v), high));
                }
                let d = _mm512_srai_epi32::<4>(_mm512_add_epi32(d0, d1));
                let s = _mm512_slli_epi32::<16>(_mm512_cvtepu16_epi32(_mm256_loadu_si256(sb.add(g * ROWS * 2).cast())));
                acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_cvtepi32_ps(d), _mm512_castsi512_ps(s)));
            }
            let bv = bias.map_or(_mm512_setzero_ps(), |bb| _mm512_maskz_loadu_ps(mk, bb.as_ptr().add(o)));
            _mm512_mask_storeu_ps(out.as_mut_ptr().add(o), mk, _mm512_add_ps(_mm512_mul_ps(acc, xsv), bv));
        }
    }
}

/// [`vnni`] with AVX2: 8 rows a register, the nibbles widened to `c - 8` as
/// signed bytes (`vpmaddubsw` pairs, at most `2 · 255 · 8`, never saturate).
///
/// # Safety
/// AVX2; the buffers as for [`vnni`].
#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn avx2(xu: &[u8], w: &[u8], scales: &[u8], corr: &[f32], bias: Option<&[f32]>, out: &mut [f32], r: Rows) {
    let Rows { n, k, group, zp, xscale } = r;
    let (groups, steps) = (k / group, group / 8);
    let (low, eight, ones) = (_mm256_set1_epi8(0xf), _mm256_set1_epi8(8), _mm256_set1_epi16(1));
    let signed = |nib: __m256i| _mm256_sub_epi8(_mm256_xor_si256(nib, eight), eight);
    let (zpv, xsv) = (_mm256_set1_ps(zp), _mm256_set1_ps(xscale));
    let xp = xu.as_ptr();
    for b in 0..n.div_ceil(ROWS) {
        for h in 0..2 {
            let o = b * ROWS + 8 * h;
            if o >= n {
                break;
            }
            // SAFETY: as in `vnni`; half h of each 64-byte step is rows o..o + 8.
            unsafe {
                let mut acc = _mm256_mul_ps(zpv, _mm256_loadu_ps(corr.as_ptr().add(o)));
                let wb = w.as_ptr().add(b * ROWS * k / 2 + 32 * h);
                let sb = scales.as_ptr().add((b * groups * ROWS + 8 * h) * 2);
                for g in 0..groups {
                    let mut d = _mm256_setzero_si256();
                    for t in 0..steps {
                        let i = g * group + 8 * t;
                        let v = _mm256_loadu_si256(wb.add(i * 8).cast());
                        let (x0, x1) = (_mm256_set1_epi32(word(xp, i)), _mm256_set1_epi32(word(xp, i + 4)));
                        let hi = signed(_mm256_and_si256(_mm256_srli_epi16::<4>(v), low));
                        let lo = signed(_mm256_and_si256(v, low));
                        let p = _mm256_add_epi16(_mm256_maddubs_epi16(x0, hi), _mm256_maddubs_epi16(x1, lo));
                        d = _mm256_add_epi32(d, _mm256_madd_epi16(p, ones));
                    }
                    let s = _mm256_slli_epi32::<16>(_mm256_cvtepu16_epi32(_mm_loadu_si128(sb.add(g * ROWS * 2).cast())));
                    acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(d), _mm256_castsi256_ps(s)));
                }
                let y = _mm256_mul_ps(acc, xsv);
                let mut row = [0.0f32; 8];
                _mm256_storeu_ps(row.as_mut_ptr(), y);
                for (j, v) in row.iter().enumerate().take(n - o) {
                    out[o + j] = v + bias.map_or(0.0, |bb| bb[o + j]);
                }
            }
        }
    }
}

/// `u = clamp(roundf(v · inv) + zp, -128, 127) + 128` for each value, as the
/// portable loop: `roundf` (half away from zero) as truncation plus a step
/// where the dropped fraction is at least a half; NaN becomes 0 + 128, as `as i32` makes it.
///
/// # Safety
/// AVX-512 F/BW/DQ/VL.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2")]
pub unsafe fn quantize(src: &[f32], u: &mut [u8], inv: f32, zp: f32) {
    let n = src.len().min(u.len());
    let (invv, zpv) = (_mm512_set1_ps(inv), _mm512_set1_ps(zp));
    let (lo, hi, half, one) = (_mm512_set1_ps(-128.0), _mm512_set1_ps(127.0), _mm512_set1_ps(0.5), _mm512_set1_ps(1.0));
    let (sign, bias) = (_mm512_set1_ps(-0.0), _mm512_set1_epi32(128));
    for i in (0..n).step_by(16) {
        let mk = lanes(n - i);
        // SAFETY: the lanes on in mk are in both slices.
        unsafe {
            let y = _mm512_mul_ps(_mm512_maskz_loadu_ps(mk, src.as_ptr().add(i)), invv);
            let t = _mm512_roundscale_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(y);
            let away = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(_mm512_abs_ps(_mm512_sub_ps(y, t)), half);
            let r = _mm512_mask_add_ps(t, away, t, _mm512_or_ps(_mm512_and_ps(y, sign), one));
            let s = _mm512_add_ps(r, zpv);
            let ord = _mm512_cmp_ps_mask::<_CMP_ORD_Q>(s, s);
            let q = _mm512_maskz_cvttps_epi32(ord, _mm512_min_ps(_mm512_max_ps(s, lo), hi));
            _mm512_mask_cvtepi32_storeu_epi8(u.as_mut_ptr().add(i).cast(), mk, _mm512_add_epi32(q, bias));
        }
    }
}
