//! Int8 1×1 convolution with AVX2: `out[co][j] = Σ_ci w[co][ci] · x[ci][j] - x_zp · Σ_ci w[co][ci]`,
//! requantized per channel. `vpmaddwd` multiplies i16 pairs and adds each pair
//! into one i32 lane, so pairs run along `ci`: two input rows are widened and
//! interleaved, and each block of channels has its weights packed once as i16
//! pairs. Products of two int8 values and their pair sums fit in i32, so the sums
//! equal the portable kernel's exactly, and the requantization repeats its f32
//! steps lane by lane: the outputs are the same bits.

/// Largest input channel count the stack buffers take (larger ones use the portable kernel).
pub const MAX_CIN: usize = 2048;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use core::arch::x86_64::*;

    use super::MAX_CIN;
    use crate::quant::conv::Requant;
    use crate::quant::affine_avx2::{copy, quantize8};

    /// Columns per tile: 16 bytes of an input row.
    const NR: usize = 16;
    /// Output channels per tile: 6 × 2 accumulators, 2 inputs and a weight fill the 16 registers.
    const MR: usize = 6;

    /// One image: `x` is `[cin, hw]`, `w` is `[cout, cin]`, `out` is `[cout, hw]`.
    ///
    /// # Safety
    /// The CPU supports AVX2; `x`, `w` and `out` hold at least `cin*hw`,
    /// `cout*cin` and `cout*hw` elements; `cin <= MAX_CIN`.
    #[target_feature(enable = "avx2")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn pointwise(
        x: &[i8],
        x_zp: i32,
        w: &[i8],
        out: &mut [i8],
        cin: usize,
        cout: usize,
        hw: usize,
        rq: &Requant<'_>,
    ) {
        if cin == 0 || hw == 0 {
            return;
        }
        let full = hw / NR * NR;
        // The last hw % 16 columns, copied into zero-filled rows of 16 so the tile reads no further.
        let mut tail = [0i8; MAX_CIN * NR];
        if full < hw {
            for ci in 0..cin {
                // SAFETY: row ci of `x` holds columns full..hw (the caller's sizes), row ci of `tail` 16 > hw - full.
                unsafe { copy(x.as_ptr().add(ci * hw + full), tail.as_mut_ptr().add(ci * NR), hw - full) };
            }
        }
        let mut packed = [0i32; MR * MAX_CIN.div_ceil(2)];
        let mut co0 = 0;
        while co0 < cout {
            let r = (cout - co0).min(MR);
            let mut wsum = [0i32; MR];
            for (i, s) in wsum.iter_mut().enumerate().take(r) {
                let row = w.get((co0 + i) * cin..(co0 + i + 1) * cin).unwrap_or(&[]);
                *s = row.iter().map(|&v| i32::from(v)).sum();
                // Pair p of row i at packed[p * MR + i]: low half w[2p], high half w[2p + 1].
                // Sixteen weights widened at once are eight such pairs.
                let mut p = 0;
                for chunk in row.chunks_exact(16) {
                    let mut pairs = [0i32; 8];
                    // SAFETY: `chunk` holds 16 bytes and `pairs` 32.
                    unsafe {
                        let v = _mm256_cvtepi8_epi16(_mm_loadu_si128(chunk.as_ptr().cast()));
                        _mm256_storeu_si256(pairs.as_mut_ptr().cast(), v);
                    }
                    for (j, &v) in pairs.iter().enumerate() {
                        if let Some(slot) = packed.get_mut((p + j) * MR + i) {
                            *slot = v;
                        }
                    }
                    p += 8;
                }
                let rest = row.get(2 * p..).unwrap_or(&[]);
                for (pair, slot) in rest.chunks(2).zip(packed.iter_mut().skip(p * MR + i).step_by(MR)) {
                    let lo = pair.first().map_or(0, |&v| i32::from(v) & 0xffff);
                    let hi = pair.get(1).map_or(0, |&v| i32::from(v) << 16);
                    *slot = lo | hi;
                }
            }
            let b = Block {
                x_zp,
                cin,
                hw,
                co0,
                wsum,
                packed: &packed,
                rq,
            };
            // SAFETY: rows co0..co0+r exist; the tiles read columns 0..full of `x`
            // and the tail copy, as the caller's sizes allow.
            unsafe {
                match r {
                    6 => b.run::<6>(x, &tail, out, full),
                    5 => b.run::<5>(x, &tail, out, full),
                    4 => b.run::<4>(x, &tail, out, full),
                    3 => b.run::<3>(x, &tail, out, full),
                    2 => b.run::<2>(x, &tail, out, full),
                    _ => b.run::<1>(x, &tail, out, full),
                }
            }
            co0 += r;
        }
    }

    /// One block of up to MR output channels with its packed weights.
    struct Block<'a> {
        x_zp: i32,
        cin: usize,
        hw: usize,
        co0: usize,
        wsum: [i32; MR],
        packed: &'a [i32],
        rq: &'a Requant<'a>,
    }

    impl Block<'_> {
        /// # Safety
        /// AVX2; `x` holds `cin*hw`, `tail` `cin*16`, `out` `(co0+R)*hw` elements.
        #[inline(always)]
        unsafe fn run<const R: usize>(&self, x: &[i8], tail: &[i8], out: &mut [i8], full: usize) {
            let hw = self.hw;
            for j0 in (0..full).step_by(NR) {
                // SAFETY: columns j0..j0+16 of every row are inside `x` and `out`.
                unsafe {
                    let acc = self.tile::<R, 2>(x.as_ptr().add(j0), hw);
                    for (r, acc) in acc.iter().enumerate() {
                        let q = self.requantize(r, acc);
                        _mm_storeu_si128(out.as_mut_ptr().add((self.co0 + r) * hw + j0).cast(), q);
                    }
                }
            }
            if full < hw {
                // Up to 8 left (a 7×7 map leaves 1): half a tile does.
                let mut q = [[0i8; NR]; R];
                // SAFETY: `tail` holds cin rows of 16; each `q` row 16 bytes.
                unsafe {
                    if hw - full <= NR / 2 {
                        for (r, acc) in self.tile::<R, 1>(tail.as_ptr(), NR).iter().enumerate() {
                            _mm_storeu_si128(q[r].as_mut_ptr().cast(), self.requantize(r, acc));
                        }
                    } else {
                        for (r, acc) in self.tile::<R, 2>(tail.as_ptr(), NR).iter().enumerate() {
                            _mm_storeu_si128(q[r].as_mut_ptr().cast(), self.requantize(r, acc));
                        }
                    }
                }
                for (r, q) in q.iter().enumerate() {
                    // SAFETY: row co0 + r of `out` holds columns full..hw; `q` holds 16 > hw - full.
                    unsafe { copy(q.as_ptr(), out.as_mut_ptr().add((self.co0 + r) * hw + full), hw - full) };
                }
            }
        }

        /// Rows `a` and `b` (zeros without `b`) of 8·H columns as i16 pairs, one per 32-bit lane.
        /// With H = 2 the lanes hold columns 0–3, 8–11 then 4–7, 12–15 (the interleave
        /// works per 128-bit half); with H = 1, columns 0–7.
        ///
        /// # Safety
        /// AVX2; 8·H bytes readable at `a` (and `b`).
        #[inline(always)]
        unsafe fn pairs<const H: usize>(a: *const i8, b: Option<*const i8>) -> [__m256i; H] {
            // No closures here: they would not inherit AVX2, and the intrinsics would become calls.
            // SAFETY: as the caller guarantees.
            unsafe {
                let mut v = [_mm256_setzero_si256(); H];
                if H == 2 {
                    let a = _mm256_cvtepi8_epi16(_mm_loadu_si128(a.cast()));
                    let b = match b {
                        Some(b) => _mm256_cvtepi8_epi16(_mm_loadu_si128(b.cast())),
                        None => _mm256_setzero_si256(),
                    };
                    v[0] = _mm256_unpacklo_epi16(a, b);
                    v[H - 1] = _mm256_unpackhi_epi16(a, b);
                } else {
                    let a = _mm_cvtepi8_epi16(_mm_loadl_epi64(a.cast()));
                    let b = match b {
                        Some(b) => _mm_cvtepi8_epi16(_mm_loadl_epi64(b.cast())),
                        None => _mm_setzero_si128(),
                    };
                    v[0] = _mm256_set_m128i(_mm_unpackhi_epi16(a, b), _mm_unpacklo_epi16(a, b));
                }
                v
            }
        }

        /// `acc[r] += v · w[p][r]` for every row of the block.
        ///
        /// # Safety
        /// AVX2; pair `p` is packed.
        #[inline(always)]
        unsafe fn step<const R: usize, const H: usize>(&self, acc: &mut [[__m256i; H]; R], v: &[__m256i; H], p: usize) {
            // SAFETY: AVX2; `packed` holds MR entries for each pair of `cin`.
            unsafe {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let wv = _mm256_set1_epi32(*self.packed.as_ptr().add(p * MR + r));
                    for (a, &v) in acc.iter_mut().zip(v) {
                        *a = _mm256_add_epi32(*a, _mm256_madd_epi16(v, wv));
                    }
                }
            }
        }

        /// Sums for R channels × 8·H columns, in the lane order of `pairs`.
        ///
        /// # Safety
        /// AVX2; `x` points at 8·H readable bytes in each of `cin` rows `stride` apart.
        #[inline(always)]
        unsafe fn tile<const R: usize, const H: usize>(&self, x: *const i8, stride: usize) -> [[__m256i; H]; R] {
            let pairs = self.cin / 2;
            // SAFETY: as the caller guarantees.
            unsafe {
                let mut acc = [[_mm256_setzero_si256(); H]; R];
                for p in 0..pairs {
                    let v = Self::pairs::<H>(x.add(2 * p * stride), Some(x.add((2 * p + 1) * stride)));
                    self.step(&mut acc, &v, p);
                }
                if self.cin % 2 == 1 {
                    // The last row pairs with zeros (its packed high halves are 0 too).
                    let v = Self::pairs::<H>(x.add((self.cin - 1) * stride), None);
                    self.step(&mut acc, &v, pairs);
                }
                acc
            }
        }

        /// Row `r` of a tile to 8·H int8 outputs in column order (the rest of the 16 bytes is junk).
        #[inline(always)]
        unsafe fn requantize<const H: usize>(&self, r: usize, acc: &[__m256i; H]) -> __m128i {
            let co = self.co0 + r;
            let rq = self.rq;
            let (s, b) = (rq.scale.get(co).copied().unwrap_or(0.0), rq.bias.get(co).copied().unwrap_or(0.0));
            // SAFETY: register arithmetic only.
            unsafe {
                let shift = _mm256_set1_epi32(self.x_zp.wrapping_mul(self.wsum[r]));
                let mut q = [_mm256_setzero_si256(); H];
                for (q, &a) in q.iter_mut().zip(acc) {
                    *q = quantize8(_mm256_sub_epi32(a, shift), s, b, rq.out);
                }
                let words = if H == 2 {
                    // packs works per 128-bit lane: (lo 0–3, hi 0–3 | lo 4–7, hi 4–7) is columns 0–15.
                    _mm256_packs_epi32(q[0], q[H - 1])
                } else {
                    // Columns 0–7 in one register: both halves' words end up in the low lane.
                    _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_packs_epi32(q[0], q[0]))
                };
                _mm_packs_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256::<1>(words))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::vec::Vec;

    use crate::conv::im2col::Conv2d;
    use crate::quant::conv::{qconv2d, qconv2d_portable, Requant};
    use crate::quant::affine::Out;
    use crate::testutil::Lcg;

    #[rustfmt::skip]
    fn pointwise(batch: usize, cin: usize, cout: usize, h: usize, w: usize) -> Conv2d {
        Conv2d {
            batch, in_channels: cin, in_h: h, in_w: w, out_channels: cout, kernel_h: 1, kernel_w: 1,
            stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, dilation_h: 1, dilation_w: 1, groups: 1,
            out_h: h, out_w: w,
        }
    }

    #[test]
    fn simd_pointwise_gives_the_portable_bits() {
        if !crate::quant::simd() {
            std::eprintln!("note: no AVX2 on this CPU, this SIMD test was not run");
            return;
        }
        let mut rng = Lcg(21);
        let mut byte = |lo: f32| ((rng.next_f32() + 1.0) * 0.5 * (127.0 - lo) + lo).round() as i8;
        // Odd and even channel counts, every channel-block remainder, column tails and none, two images.
        let shapes = [
            pointwise(1, 1, 1, 1, 1),
            pointwise(1, 3, 7, 1, 17),
            pointwise(1, 16, 96, 8, 8),
            pointwise(1, 33, 13, 7, 7),
            pointwise(2, 24, 11, 5, 9),
            pointwise(1, 160, 17, 7, 7),
            pointwise(1, 2, 6, 1, 16),
            pointwise(1, 320, 10, 2, 2),
            // Whole groups of 4 channels (the VNNI kernel), panel tails of 48 columns.
            pointwise(1, 32, 16, 7, 7),
            pointwise(1, 96, 24, 14, 14),
            pointwise(2, 64, 9, 10, 10),
            pointwise(1, 1024, 8, 3, 3),
            pointwise(1, 1028, 8, 1, 3),
            pointwise(1, 4, 13, 1, 97),
        ];
        #[cfg(target_arch = "x86_64")]
        if !crate::cpu::avx512_vnni() {
            std::eprintln!("note: no AVX-512 VNNI on this CPU, the VNNI path was not run");
        }
        for (i, p) in shapes.iter().enumerate() {
            let hw = p.in_h * p.in_w;
            let x: Vec<i8> = (0..p.batch * p.in_channels * hw)
                .map(|_| byte(-128.0))
                .collect();
            let w: Vec<i8> = (0..p.out_channels * p.in_channels)
                .map(|_| byte(-127.0))
                .collect();
            let scale: Vec<f32> = (0..p.out_channels)
                .map(|c| 0.0001 + 0.00003 * c as f32)
                .collect();
            let bias: Vec<f32> = (0..p.out_channels).map(|c| 0.07 * c as f32 - 0.3).collect();
            let out = Out {
                inv_scale: 1.0 / 0.05f32,
                zero_point: i as i32 * 7 - 20,
                min: -128 + i as i32,
                max: 127 - i as i32,
            };
            let rq = Requant {
                scale: &scale,
                bias: &bias,
                out,
            };
            let x_zp = i as i32 * 13 - 50;
            let n = p.batch * p.out_channels * hw;
            let (mut got, mut want) = (std::vec![0i8; n], std::vec![0i8; n]);
            qconv2d_portable(&x, x_zp, &w, &mut want, p, rq);
            qconv2d(&x, x_zp, &w, &mut got, p, rq);
            assert_eq!(got, want, "as dispatched: {p:?}");
            got.fill(0);
            crate::cpu::no_avx512(|| qconv2d(&x, x_zp, &w, &mut got, p, rq));
            assert_eq!(got, want, "AVX2: {p:?}");
            assert!(
                n < 8 || want.iter().any(|&v| v != want[0]),
                "a constant output tests nothing: {p:?}"
            );
        }
    }
}
