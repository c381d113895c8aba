//! Int8 3×3 convolution with padding 1 and stride 1 or 2 over few input channels
//! per group, with AVX2: a first layer over RGB, grouped layers, and depthwise
//! planes too big for `qdepthwise` (which takes the others).
//!
//! Each input row is widened once to `x - x_zp` (zero in the padding) and stored,
//! in a ring of three rows per input channel, as i16 pairs of neighbouring columns, so `vpmaddwd` sums taps 0 and 1 of a
//! kernel row in one i32 lane per output, and tap 2 pairs with a zero weight.
//! With stride 1 output `o` reads pair `(o, o+1)` then `o+2`; with stride 2 the
//! padded row itself is the pairs, `(2o, 2o+1)` then `2o+2`. Every product fits
//! in i16 and the sums in i32, so they equal the portable kernel's exactly, and
//! the requantization repeats its f32 steps: the outputs are the same bits.

use crate::conv::im2col::Conv2d;

/// Widest output row the stack buffers take.
pub const MAX_W: usize = 256;
/// Most input channels per group: their rows are kept at once.
pub const MAX_ICG: usize = 4;

/// True for the convolutions this kernel covers (the caller checks slice lengths).
pub fn supports(p: &Conv2d) -> bool {
    let groups = p.groups.max(1);
    let s = p.stride_h;
    let out = |len: usize| (len + 2).saturating_sub(3) / s.max(1) + 1;
    p.kernel_h == 3
        && p.kernel_w == 3
        && p.pad_h == 1
        && p.pad_w == 1
        && p.dilation_h == 1
        && p.dilation_w == 1
        && (s == 1 || s == 2)
        && p.stride_w == s
        && p.in_channels.is_multiple_of(groups)
        && p.out_channels.is_multiple_of(groups)
        && p.in_channels / groups <= MAX_ICG
        && p.in_h > 0
        && p.in_w > 0
        && p.out_h == out(p.in_h)
        && p.out_w == out(p.in_w)
        && p.out_w <= MAX_W
}

/// One output channel's weights and requantization, as the SIMD rows read
/// them: per kernel row, taps 0 and 1 as an i16 pair, then tap 2 with 0.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Taps<const T: usize> {
    pub w01: [i32; T],
    pub w2: [i32; T],
    /// Where tap 2's pair starts after tap 0's: 2 with stride 1, 1 with stride 2.
    pub third: usize,
    pub scale: f32,
    pub bias: f32,
}

#[cfg(target_arch = "x86_64")]
impl<const T: usize> Taps<T> {
    /// Channel `co` of `w` (`T` kernel rows of 3 taps each), for stride `s`.
    #[inline(always)]
    pub fn new(w: &[i8], co: usize, s: usize, rq: &crate::quant::conv::Requant<'_>) -> Self {
        let pair = |a: i8, b: i8| i32::from(a as i16 as u16) | (i32::from(b) << 16);
        let tap = |t: usize| w.get(co * 3 * T + t).copied().unwrap_or(0);
        let (mut w01, mut w2) = ([0; T], [0; T]);
        for t in 0..T {
            w01[t] = pair(tap(3 * t), tap(3 * t + 1));
            w2[t] = pair(tap(3 * t + 2), 0);
        }
        Taps {
            w01,
            w2,
            third: if s == 1 { 2 } else { 1 },
            scale: rq.scale.get(co).copied().unwrap_or(0.0),
            bias: rq.bias.get(co).copied().unwrap_or(0.0),
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use core::arch::x86_64::*;

    use super::{Taps, MAX_ICG, MAX_W};
    use crate::conv::im2col::Conv2d;
    use crate::quant::conv::Requant;
    use crate::quant::affine_avx2::quantize8;
    use crate::quant::conv3x3_vnni as vnni;

    /// Outputs per vector.
    const LANES: usize = 8;
    /// Pairs per stored row: a whole number of vectors, plus the reads at `o + 2`.
    const ROW: usize = MAX_W + LANES;

    /// # Safety
    /// The CPU supports AVX2; `supports(p)`; `x`, `w` and `out` hold at least
    /// `batch*cin*ih*iw`, `cout*(cin/groups)*9` and `batch*cout*oh*ow` elements.
    #[target_feature(enable = "avx2")]
    pub unsafe fn conv3x3(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
        if crate::quant::depthwise::supports(p) && crate::cpu::avx512_vnni() {
            // SAFETY: the CPU has AVX-512 VNNI; as below otherwise.
            unsafe { crate::quant::depthwise_vnni::depthwise(x, x_zp, w, out, p, rq) };
            return;
        }
        if crate::quant::depthwise::supports(p) {
            // SAFETY: as this function's contract, and the plane fits the depthwise kernel's buffers.
            unsafe { crate::quant::depthwise::avx2::depthwise(x, x_zp, w, out, p, rq) };
            return;
        }
        // SAFETY: the caller's, and `out` is borrowed whole.
        unsafe { out_rows(x, x_zp, w, out.as_mut_ptr(), p, rq, (0, p.out_h)) };
    }

    /// Output rows `span.0..span.1` of every channel of `conv3x3`'s row kernel (not
    /// the depthwise one), written through `out`.
    ///
    /// # Safety
    /// As `conv3x3`, with `out` valid for writes of `batch*cout*oh*ow` bytes;
    /// `span.1 <= oh`; no other thread touches those rows of `out` meanwhile.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn out_rows(x: &[i8], x_zp: i32, w: &[i8], out: *mut i8, p: &Conv2d, rq: &Requant<'_>, span: (usize, usize)) {
        let groups = p.groups.max(1);
        let (icg, ocg) = (p.in_channels / groups, p.out_channels / groups);
        let (ih, iw, oh, ow, s) = (p.in_h, p.in_w, p.out_h, p.out_w, p.stride_h);
        // Padded input row: column c holds x[c - 1] - x_zp; the padding and everything past it stays 0.
        let mut xpad = [0i16; 2 * ROW + 2];
        // Three rows (by input row % 3) of pairs per input channel of the group.
        let mut rows = [[[0i32; ROW]; 3]; MAX_ICG];
        // Enough for the VNNI rows' 16 lanes too (ROW still holds them: MAX_W is a multiple of 16).
        let pairs = ow.div_ceil(vnni::LANES) * vnni::LANES + 2;
        let wide = crate::cpu::avx512_vnni();
        let zero = [0i32; ROW];
        for n in 0..p.batch {
            for g in 0..groups {
                // Which input row each slot holds.
                let mut held = [[usize::MAX; 3]; MAX_ICG];
                for oy in span.0..span.1 {
                    for cl in 0..icg {
                        let plane = (n * p.in_channels + g * icg + cl) * ih * iw;
                        for ky in 0..3 {
                            let iy = (oy * s + ky).wrapping_sub(1);
                            if iy >= ih || held[cl][iy % 3] == iy {
                                continue;
                            }
                            held[cl][iy % 3] = iy;
                            let src = x.get(plane + iy * iw..plane + (iy + 1) * iw).unwrap_or(&[]);
                            widen(&mut xpad, src, x_zp as i16);
                            pair_up(&mut rows[cl][iy % 3][..pairs], &xpad, s);
                        }
                    }
                    // What each (input channel, kernel row) reads: a held row, or zeros in the padding.
                    let mut src = [zero.as_ptr(); 3 * MAX_ICG];
                    for cl in 0..icg {
                        for ky in 0..3 {
                            let iy = (oy * s + ky).wrapping_sub(1);
                            if iy < ih {
                                src[cl * 3 + ky] = rows[cl][iy % 3].as_ptr();
                            }
                        }
                    }
                    if wide {
                        let mut co = g * ocg;
                        while co < (g + 1) * ocg {
                            // Channels this pass: 8, 4, 2 or 1 (a kernel for each).
                            let c = match (g + 1) * ocg - co {
                                8.. => 8,
                                4.. => 4,
                                2.. => 2,
                                _ => 1,
                            };
                            let at = (n * p.out_channels + co) * oh * ow + oy * ow;
                            // SAFETY: `wide` says the CPU has AVX-512 VNNI; every row read holds
                            // `pairs` entries, enough for 16 lanes; row oy of channels co..co + c
                            // is inside `out` and this caller's alone.
                            unsafe {
                                macro_rules! go {
                                    ($c:literal) => {
                                        match icg {
                                            1 => vnni::rows::<3, $c>(out.add(at), oh * ow, ow, &src, w, co, s, rq),
                                            2 => vnni::rows::<6, $c>(out.add(at), oh * ow, ow, &src, w, co, s, rq),
                                            3 => vnni::rows::<9, $c>(out.add(at), oh * ow, ow, &src, w, co, s, rq),
                                            _ => vnni::rows::<12, $c>(out.add(at), oh * ow, ow, &src, w, co, s, rq),
                                        }
                                    };
                                }
                                match c {
                                    8 => go!(8),
                                    4 => go!(4),
                                    2 => go!(2),
                                    _ => go!(1),
                                }
                            }
                            co += c;
                        }
                        continue;
                    }
                    for co in g * ocg..(g + 1) * ocg {
                        let at = (n * p.out_channels + co) * oh * ow + oy * ow;
                        // SAFETY: row oy of channel co is inside `out` and this caller's alone.
                        let o = unsafe { core::slice::from_raw_parts_mut(out.add(at), ow) };
                        // SAFETY: AVX2; every row read holds `pairs` entries.
                        unsafe {
                            match icg {
                                1 => row::<3>(o, &src, w, co, s, rq),
                                2 => row::<6>(o, &src, w, co, s, rq),
                                3 => row::<9>(o, &src, w, co, s, rq),
                                _ => row::<12>(o, &src, w, co, s, rq),
                            }
                        }
                    }
                }
            }
        }
    }

    /// `xpad[1 + c] = src[c] - zp`.
    #[inline(always)]
    fn widen(xpad: &mut [i16], src: &[i8], zp: i16) {
        let dst = xpad.get_mut(1..).unwrap_or(&mut []);
        dst.iter_mut().zip(src).for_each(|(d, &v)| *d = i16::from(v) - zp);
    }

    /// The pairs a row of outputs reads: `(c, c+1)` for stride 1, `(2c, 2c+1)` for stride 2.
    #[inline(always)]
    fn pair_up(dst: &mut [i32], xpad: &[i16], s: usize) {
        let pair = |a: i16, b: i16| i32::from(a as u16) | (i32::from(b) << 16);
        if s == 1 {
            dst.iter_mut()
                .zip(xpad.windows(2))
                .for_each(|(d, v)| *d = pair(v[0], v[1]));
        } else {
            dst.iter_mut()
                .zip(xpad.chunks_exact(2))
                .for_each(|(d, v)| *d = pair(v[0], v[1]));
        }
    }

    /// One output row of channel `co`: T = 3 × input channels (kernel rows) read `src`.
    ///
    /// # Safety
    /// AVX2; each of the first T rows in `src` holds `ceil(len(o) / 8) * 8 + 2` pairs.
    #[inline(always)]
    unsafe fn row<const T: usize>(
        o: &mut [i8],
        src: &[*const i32; 3 * MAX_ICG],
        w: &[i8],
        co: usize,
        s: usize,
        rq: &Requant<'_>,
    ) {
        let Taps { w01: p01, w2: p2, third, scale, bias } = Taps::<T>::new(w, co, s, rq);
        let len = o.len();
        // SAFETY: AVX2; o0 + third + 8 <= ceil(len / 8) * 8 + 2, inside every row;
        // full vectors store inside `o`, the last one through `bytes`.
        unsafe {
            // A loop, not `map`: a closure would not inherit the target features.
            let (mut w01, mut w2) = ([_mm256_setzero_si256(); T], [_mm256_setzero_si256(); T]);
            for t in 0..T {
                w01[t] = _mm256_set1_epi32(p01[t]);
                w2[t] = _mm256_set1_epi32(p2[t]);
            }
            for o0 in (0..len).step_by(LANES) {
                let mut acc = _mm256_setzero_si256();
                for t in 0..T {
                    let r = src[t].add(o0);
                    let a = _mm256_madd_epi16(_mm256_loadu_si256(r.cast()), w01[t]);
                    let b = _mm256_madd_epi16(_mm256_loadu_si256(r.add(third).cast()), w2[t]);
                    acc = _mm256_add_epi32(acc, _mm256_add_epi32(a, b));
                }
                let q = quantize8(acc, scale, bias, rq.out);
                let words = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256::<1>(q));
                let bytes = _mm_packs_epi16(words, words);
                if o0 + LANES <= len {
                    _mm_storel_epi64(o.as_mut_ptr().add(o0).cast(), bytes);
                } else {
                    let mut tmp = [0i8; 16];
                    _mm_storeu_si128(tmp.as_mut_ptr().cast(), bytes);
                    for (d, &v) in o.iter_mut().skip(o0).zip(&tmp) {
                        *d = v;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::vec::Vec;

    use super::supports;
    use crate::conv::im2col::Conv2d;
    use crate::quant::conv::{qconv2d, qconv2d_portable, Requant};
    use crate::quant::affine::Out;
    use crate::testutil::Lcg;

    #[rustfmt::skip]
    fn conv(batch: usize, cin: usize, cout: usize, groups: usize, h: usize, w: usize, s: usize) -> Conv2d {
        Conv2d {
            batch, in_channels: cin, in_h: h, in_w: w, out_channels: cout, kernel_h: 3, kernel_w: 3,
            stride_h: s, stride_w: s, pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, groups,
            out_h: (h - 1) / s + 1, out_w: (w - 1) / s + 1,
        }
    }

    #[test]
    fn simd_3x3_gives_the_portable_bits() {
        if !crate::quant::simd() {
            std::eprintln!("note: no AVX2 on this CPU, this SIMD test was not run");
            return;
        }
        let mut rng = Lcg(33);
        let mut byte = |lo: f32| ((rng.next_f32() + 1.0) * 0.5 * (127.0 - lo) + lo).round() as i8;
        // Depthwise at both strides and many widths (tails of every length, the widest row),
        // a dense first layer over 3 channels, a grouped one, two images.
        let shapes = [
            conv(1, 4, 4, 4, 5, 7, 1),
            conv(1, 3, 3, 3, 1, 1, 1),
            conv(1, 2, 2, 2, 2, 2, 2),
            conv(1, 5, 5, 5, 14, 14, 2),
            conv(1, 3, 3, 3, 9, 17, 1),
            conv(1, 3, 3, 3, 8, 33, 2),
            conv(2, 6, 6, 6, 7, 7, 1),
            conv(1, 1, 1, 1, 3, 256, 1),
            conv(1, 1, 1, 1, 4, 511, 2),
            conv(1, 3, 8, 1, 12, 12, 2),
            conv(1, 3, 5, 1, 5, 9, 1),
            // Dense rows of several 16-output vectors and a tail, both strides.
            conv(1, 3, 4, 1, 9, 100, 2),
            conv(1, 3, 4, 1, 6, 37, 1),
            // Depthwise rows around one VNNI register's 16 outputs (stride 2 in registers).
            conv(1, 3, 3, 3, 6, 16, 1),
            conv(1, 2, 2, 2, 5, 32, 2),
            conv(1, 2, 2, 2, 4, 31, 2),
            conv(1, 2, 2, 2, 4, 17, 1),
            // 13 channels: passes over 8, 4 and 1 of them at once (VNNI).
            conv(1, 3, 13, 1, 7, 40, 2),
            conv(1, 4, 6, 2, 6, 10, 2),
            conv(2, 8, 8, 2, 5, 5, 1),
            // mobilenet_v2's depthwise planes, and widths around the 32-output step.
            conv(1, 3, 3, 3, 112, 112, 2),
            conv(1, 3, 3, 3, 56, 56, 1),
            conv(1, 4, 4, 4, 28, 28, 2),
            conv(1, 4, 4, 4, 7, 7, 1),
            conv(1, 2, 2, 2, 5, 31, 1),
            conv(1, 2, 2, 2, 5, 33, 2),
            conv(1, 2, 2, 2, 3, 65, 2),
            // Depthwise planes too big for `qdepthwise`'s buffers.
            conv(1, 2, 2, 2, 70, 250, 1),
            conv(1, 2, 2, 2, 150, 220, 2),
        ];
        #[cfg(target_arch = "x86_64")]
        if !crate::cpu::avx512_vnni() {
            std::eprintln!("note: no AVX-512 VNNI on this CPU, the VNNI depthwise path was not run");
        }
        for (i, p) in shapes.iter().enumerate() {
            assert!(supports(p), "{p:?}");
            let icg = p.in_channels / p.groups;
            let x: Vec<i8> = (0..p.batch * p.in_channels * p.in_h * p.in_w).map(|_| byte(-128.0)).collect();
            let w: Vec<i8> = (0..p.out_channels * icg * 9).map(|_| byte(-127.0)).collect();
            let scale: Vec<f32> = (0..p.out_channels).map(|c| 0.0003 + 0.0001 * c as f32).collect();
            let bias: Vec<f32> = (0..p.out_channels).map(|c| 0.05 * c as f32 - 0.2).collect();
            let out = Out { inv_scale: 1.0 / 0.04f32, zero_point: i as i32 * 5 - 30, min: -128 + i as i32, max: 127 - 2 * i as i32 };
            let rq = Requant { scale: &scale, bias: &bias, out };
            // Within int8, where `x - x_zp` fits the portable kernel's i16 products.
            let x_zp = (i as i32 * 11) % 187 - 60;
            let n = p.batch * p.out_channels * p.out_h * p.out_w;
            let (mut got, mut want) = (std::vec![0i8; n], std::vec![0i8; n]);
            qconv2d_portable(&x, x_zp, &w, &mut want, p, rq);
            qconv2d(&x, x_zp, &w, &mut got, p, rq);
            assert_eq!(got, want, "as dispatched: {p:?}");
            got.fill(0);
            crate::cpu::no_avx512(|| qconv2d(&x, x_zp, &w, &mut got, p, rq));
            assert_eq!(got, want, "AVX2: {p:?}");
            assert!(n < 8 || want.iter().any(|&v| v != want[0]), "a constant output tests nothing: {p:?}");
        }
        assert!(!crate::quant::depthwise::supports(&shapes[shapes.len() - 1]));
        assert!(!crate::quant::depthwise::supports(&shapes[shapes.len() - 2]));
        assert!(crate::quant::depthwise::supports(&shapes[0]));
        // What it leaves to the portable kernel.
        assert!(!supports(&conv(1, 1, 1, 1, 3, 258, 1)));
        assert!(!supports(&conv(1, 5, 5, 1, 3, 3, 1)));
    }
}
