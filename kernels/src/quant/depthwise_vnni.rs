//! Int8 depthwise 3×3 with AVX-512 VNNI, for CPUs that report it
//! (`cpu::avx512_vnni`): the layout and arithmetic of `quant::depthwise`'s AVX2
//! kernel (a zero-bordered i16 plane of `x - x_zp`, taps in i16 pairs), with
//! 16-lane registers and `vpdpwssd`, which multiplies the pairs and adds them to
//! the sums in one instruction. The sums are the same exact integers, and the
//! requantization repeats the portable kernel's f32 steps: the same bits.

use core::arch::x86_64::*;

use crate::conv::im2col::Conv2d;
use crate::quant::conv::Requant;
use crate::quant::depthwise::{widths, PLANE};
use crate::quant::gemm_vnni::quantize16;

/// # Safety
/// The CPU supports AVX-512 F/BW/VL and VNNI; `depthwise::supports(p)` and
/// `conv3x3::supports(p)`; `x`, `w` and `out` hold at least `batch*c*ih*iw`,
/// `c*9` and `batch*c*oh*ow` elements.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2")]
pub unsafe fn depthwise(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
    // Stride 1 stays flat (below): rows of 7 in registers of 16 lanes ran 20% slower.
    if p.stride_w == 2 && p.out_w <= 16 && p.in_w <= 32 {
        // SAFETY: as the caller guarantees; the rows are narrow enough.
        unsafe { narrow(x, x_zp, w, out, p, rq) };
        return;
    }
    let (ih, iw, oh, ow) = (p.in_h, p.in_w, p.out_h, p.out_w);
    let (pw, fw) = widths(p);
    // The border and everything past the plane stay zero; the interior is rewritten per channel.
    let mut plane = [0i16; PLANE];
    let mut flat = [0i8; PLANE];
    for n in 0..p.batch {
        for c in 0..p.in_channels {
            let plane_at = (n * p.in_channels + c) * ih * iw;
            for iy in 0..ih {
                // SAFETY: the caller guarantees this channel's `ih` rows inside `x`;
                // padded row `iy + 1` holds `pw = iw + 2` elements inside `plane`.
                unsafe { widen(x.as_ptr().add(plane_at + iy * iw), plane.as_mut_ptr().add((iy + 1) * pw + 1), iw, x_zp as i16) };
            }
            // SAFETY: the CPU has AVX-512 (this function's contract).
            let k = unsafe { Channel::new(w, c, pw, rq) };
            // SAFETY: `supports` keeps every read below `(ih + 3) * pw + SLACK`
            // and every write below `oh * fw + SLACK`, inside both buffers
            // (see `stride1` and `stride2` for how far each reads).
            unsafe {
                if p.stride_w == 1 {
                    k.stride1(plane.as_ptr(), flat.as_mut_ptr(), oh * fw);
                } else {
                    k.stride2(plane.as_ptr(), flat.as_mut_ptr(), oh, fw);
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

/// Stride-2 planes whose output rows fit one register (16 outputs): each row summed
/// straight from the input rows, widened in registers, its tap pairs picked by
/// a permute of i16 lanes (zero where a tap falls in the padding). No plane is
/// copied first: on planes this small, the copies cost more than the sums.
///
/// # Safety
/// As `depthwise`, with out_w <= 16 and in_w <= 32 (any stride, though only 2 is faster).
#[inline(always)]
unsafe fn narrow(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
    let (ih, iw, oh, ow, s) = (p.in_h, p.in_w, p.out_h, p.out_w, p.stride_w);
    // Lane pair l (one i32 lane) of the first pair holds input columns (s·l - 1, s·l),
    // of the second (s·l + 1, nothing): kernel columns 0 and 1, then 2 with a zero weight.
    let (mut idx, mut on) = ([[0i16; 32]; 2], [0u32; 2]);
    for l in 0..ow {
        for (pair, half, col) in [(0, 0, s * l), (0, 1, s * l + 1), (1, 0, s * l + 2)] {
            // `col` is the padded column: input column col - 1.
            if let Some(c) = col.checked_sub(1).filter(|&c| c < iw) {
                idx[pair][2 * l + half] = c as i16;
                on[pair] |= 1 << (2 * l + half);
            }
        }
    }
    let [on01, on2] = on;
    let row_mask = below(iw) as u32;
    let store = ((1u32 << ow) - 1) as __mmask16;
    // SAFETY: loads are masked to the iw bytes of rows 0..ih of each plane, inside
    // `x`; weights are channel c's 9, inside `w`; stores are masked to the ow bytes
    // of each output row, inside `out` (the caller's guarantees).
    unsafe {
        let (idx01, idx2) = (_mm512_loadu_si512(idx[0].as_ptr().cast()), _mm512_loadu_si512(idx[1].as_ptr().cast()));
        let zp = _mm512_set1_epi16(x_zp as i16);
        for n in 0..p.batch {
            for c in 0..p.in_channels {
                let k = Channel::new(w, c, 0, rq);
                let src = x.as_ptr().add((n * p.in_channels + c) * ih * iw);
                let dst = out.as_mut_ptr().add((n * p.in_channels + c) * oh * ow);
                for oy in 0..oh {
                    let mut acc = _mm512_setzero_si512();
                    for ky in 0..3 {
                        // Rows in the padding add nothing.
                        let Some(iy) = (s * oy + ky).checked_sub(1).filter(|&iy| iy < ih) else { continue };
                        let v = _mm512_sub_epi16(_mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(row_mask, src.add(iy * iw))), zp);
                        acc = _mm512_dpwssd_epi32(acc, _mm512_maskz_permutexvar_epi16(on01, idx01, v), k.w01[ky]);
                        acc = _mm512_dpwssd_epi32(acc, _mm512_maskz_permutexvar_epi16(on2, idx2, v), k.w2[ky]);
                    }
                    _mm_mask_storeu_epi8(dst.add(oy * ow), store, k.bytes(acc));
                }
            }
        }
    }
}

/// The lanes below `n` of 64 (bytes) as a mask.
#[inline(always)]
fn below(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// `dst[i] = src[i] - zp` for `i < len`.
///
/// # Safety
/// AVX-512 BW; `len` readable at `src`, writable at `dst`.
#[inline(always)]
unsafe fn widen(src: *const i8, dst: *mut i16, len: usize, zp: i16) {
    // SAFETY: masked loads and stores touch only elements below `len`.
    unsafe {
        let z = _mm512_set1_epi16(zp);
        for i in (0..len).step_by(32) {
            let mk = below(len - i) as u32;
            let v = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mk, src.add(i)));
            _mm512_mask_storeu_epi16(dst.add(i), mk, _mm512_sub_epi16(v, z));
        }
    }
}

/// `len` bytes from `src` to `dst`.
///
/// # Safety
/// AVX-512 BW; `len` readable at `src`, writable at `dst`.
#[inline(always)]
unsafe fn copy(src: *const i8, dst: *mut i8, len: usize) {
    // SAFETY: masked loads and stores touch only bytes below `len`.
    unsafe {
        for i in (0..len).step_by(64) {
            let mk = below(len - i);
            _mm512_mask_storeu_epi8(dst.add(i), mk, _mm512_maskz_loadu_epi8(mk, src.add(i)));
        }
    }
}

/// One channel's weight pairs (taps 0 and 1, then tap 2 with 0, per kernel row) and requantization.
struct Channel<'a> {
    w01: [__m512i; 3],
    w2: [__m512i; 3],
    pw: usize,
    scale: f32,
    bias: f32,
    rq: &'a Requant<'a>,
}

impl<'a> Channel<'a> {
    /// Channel `c`'s weight pairs and requantization, for padded rows `pw` apart.
    ///
    /// # Safety
    /// The CPU supports AVX-512 F.
    #[inline(always)]
    unsafe fn new(w: &[i8], c: usize, pw: usize, rq: &'a Requant<'a>) -> Self {
        let pair = |a: i8, b: i8| i32::from(a as i16 as u16) | (i32::from(b) << 16);
        let tap = |t: usize| w.get(c * 9 + t).copied().unwrap_or(0);
        // A loop, not `map`: a closure would not inherit the target features.
        // SAFETY: register arithmetic only.
        let (mut w01, mut w2) = unsafe { ([_mm512_setzero_si512(); 3], [_mm512_setzero_si512(); 3]) };
        for ky in 0..3 {
            // SAFETY: as above.
            unsafe {
                w01[ky] = _mm512_set1_epi32(pair(tap(3 * ky), tap(3 * ky + 1)));
                w2[ky] = _mm512_set1_epi32(pair(tap(3 * ky + 2), 0));
            }
        }
        Channel { w01, w2, pw, scale: rq.scale.get(c).copied().unwrap_or(0.0), bias: rq.bias.get(c).copied().unwrap_or(0.0), rq }
    }

    /// Kernel row `ky` for the 16 outputs whose first tap starts at `r`.
    ///
    /// # Safety
    /// AVX-512 VNNI; r..r+34 readable.
    #[inline(always)]
    unsafe fn taps(&self, acc: __m512i, r: *const i16, ky: usize) -> __m512i {
        // SAFETY: as the caller guarantees.
        unsafe {
            let acc = _mm512_dpwssd_epi32(acc, _mm512_loadu_si512(r.cast()), self.w01[ky]);
            _mm512_dpwssd_epi32(acc, _mm512_loadu_si512(r.add(2).cast()), self.w2[ky])
        }
    }

    /// 16 sums to 16 requantized bytes, in lane order.
    #[inline(always)]
    unsafe fn bytes(&self, acc: __m512i) -> __m128i {
        // SAFETY: register arithmetic only.
        unsafe { _mm512_cvtsepi32_epi8(quantize16(acc, self.scale, self.bias, self.rq)) }
    }

    /// Outputs 0..count of the flat copy, 32 at a time: `even` holds o, o+2, …, `odd` o+1, o+3, ….
    ///
    /// # Safety
    /// AVX-512 VNNI; reads reach `count + 31 + 2 * pw + 35` elements of `plane`,
    /// writes `count + 63` bytes of `flat`.
    #[inline(always)]
    unsafe fn stride1(&self, plane: *const i16, flat: *mut i8, count: usize) {
        let pw = self.pw;
        for o in (0..count).step_by(32) {
            // SAFETY: as the caller guarantees.
            unsafe {
                let (mut even, mut odd) = (_mm512_setzero_si512(), _mm512_setzero_si512());
                for ky in 0..3 {
                    let r = plane.add(o + ky * pw);
                    even = self.taps(even, r, ky);
                    odd = self.taps(odd, r.add(1), ky);
                }
                let (e, d) = (self.bytes(even), self.bytes(odd));
                _mm_storeu_si128(flat.add(o).cast(), _mm_unpacklo_epi8(e, d));
                _mm_storeu_si128(flat.add(o + 16).cast(), _mm_unpackhi_epi8(e, d));
            }
        }
    }

    /// Row by row, 16 outputs at a time.
    ///
    /// # Safety
    /// AVX-512 VNNI; `fw` is a multiple of 16; reads reach `2 * oh * pw + 2 * fw + 2`
    /// elements of `plane`, writes `oh * fw` bytes of `flat`.
    #[inline(always)]
    unsafe fn stride2(&self, plane: *const i16, flat: *mut i8, oh: usize, fw: usize) {
        let pw = self.pw;
        for oy in 0..oh {
            for ox in (0..fw).step_by(16) {
                // SAFETY: as the caller guarantees.
                unsafe {
                    let mut acc = _mm512_setzero_si512();
                    for ky in 0..3 {
                        acc = self.taps(acc, plane.add((2 * oy + ky) * pw + 2 * ox), ky);
                    }
                    _mm_storeu_si128(flat.add(oy * fw + ox).cast(), self.bytes(acc));
                }
            }
        }
    }
}
