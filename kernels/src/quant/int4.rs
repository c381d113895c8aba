//! Linear layers with blockwise 4-bit weights and int8 activations quantized
//! per row at run time: XNNPACK's `qd8-f32-qb4w` fully-connected, as
//! ExecuTorch's `8da4w` export delegates it.
//!
//! Each row of `x` is quantized like [`super::dynamic`] (asymmetric int8, its
//! own scale and zero point). Weights come repacked by etch: per output row,
//! blocks of 32 codes in 16 bytes, byte `j` holding code `j` in its low nibble
//! and code `j + 16` in its high one (codes are `value + 8`, in `0..16`).
//! Per group of `group` codes (a multiple of 32) sharing one scale, the sum
//! `Σ (xq - zp) · (code - 8)` is exact in i32; then, in group order,
//! `acc += sum · scale` in f32, and the output is `acc · x_scale + bias`.
//! The AVX2 path computes the same integer sums, so both give the same bits.

/// Shapes: `x` is `[m, k]`, the weights `[n, k]` in groups of `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Q4 {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub group: usize,
}

/// Groups whose activation sums are kept per row (beyond, they are recomputed).
const MAX_GROUPS: usize = 512;

/// One row's int8 codes and its zero point and scale, as `fake_quant_rows` rounds them.
fn quantize_row(src: &[f32], q: &mut [i8]) -> (i32, f32) {
    let (lo, hi) = src.iter().fold((0.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let scale = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
    let zp = super::dynamic::zero_point(lo / scale, hi / scale);
    let inv = 1.0 / scale;
    for (o, &v) in q.iter_mut().zip(src) {
        *o = (libm::roundf(v * inv) + zp).clamp(-128.0, 127.0) as i8;
    }
    (zp as i32, scale)
}

/// `Σ q[i] · code[i]` over one block of 32 (codes unsigned, `0..16`).
#[inline(always)]
fn block_dot(q: &[i8], w: &[u8]) -> i32 {
    let mut s = 0i32;
    for (j, &b) in w.iter().enumerate().take(16) {
        s += i32::from(q[j]) * i32::from(b & 0xf) + i32::from(q[j + 16]) * i32::from(b >> 4);
    }
    s
}

/// `out [m, n] = x [m, k] · W^T + bias`; `scales` holds each group's scale and
/// `wsum` its sum of codes, both in blocks of 8 rows (`[n.div_ceil(8), k / group, 8]`,
/// see [`at`]) so one block's are adjacent. `xq` holds `k` codes.
#[allow(clippy::too_many_arguments)]
pub fn linear_q4(x: &[f32], w: &[u8], scales: &[f32], wsum: &[i32], bias: Option<&[f32]>, out: &mut [f32], xq: &mut [i8], s: Q4) {
    let Q4 { m, n, k, group } = s;
    let groups = k / group.max(1);
    let whole = k > 0 && group % 32 == 0 && k % group == 0 && xq.len() >= k;
    let params = n.div_ceil(8) * groups * 8;
    if !whole || w.len() < n * k / 2 || scales.len() < params || wsum.len() < params {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    let simd = crate::cpu::avx2();
    for (src, dst) in x.chunks_exact(k).zip(out.chunks_exact_mut(n)).take(m) {
        let (zp, xscale) = quantize_row(src, &mut xq[..k]);
        // Each group's code sum, once per row (the first MAX_GROUPS groups).
        let mut sums = [0i32; MAX_GROUPS];
        for (g, s) in sums.iter_mut().enumerate().take(groups) {
            *s = xq[g * group..(g + 1) * group].iter().map(|&v| i32::from(v)).sum();
        }
        let xsum = |g: usize| sums.get(g).copied().unwrap_or_else(|| xq[g * group..(g + 1) * group].iter().map(|&v| i32::from(v)).sum());
        // Σ (q - zp)(c - 8) = Σ q·c - 8 Σ q - zp Σ c + 8 zp · group, exact in i32.
        let exact = |g: usize, o: usize, dot: i32| dot - 8 * xsum(g) - zp * wsum[at(o, g, groups)] + 8 * zp * group as i32;
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let mut o = 0;
        #[cfg(target_arch = "x86_64")]
        if simd {
            let rows = avx2::Rows { k, group, zp, vnni: crate::cpu::avx512_vnni() };
            while o + 8 <= n {
                // SAFETY: AVX2 was detected; rows o..o + 8 lie in `w`, `scales` and `wsum`, and `xq`
                // holds k codes (checked above); `sums` has the first MAX_GROUPS groups' sums.
                let acc = unsafe { avx2::rows8(&xq[..k], w, scales, wsum, &sums, o, rows) };
                for (r, a) in acc.iter().enumerate() {
                    dst[o + r] = a * xscale + bias.and_then(|b| b.get(o + r)).copied().unwrap_or(0.0);
                }
                o += 8;
            }
        }
        for (o, y) in dst.iter_mut().enumerate().skip(o) {
            let wr = &w[o * k / 2..(o + 1) * k / 2];
            let mut acc = 0.0f32;
            for g in 0..groups {
                let dot = group_dot(&xq[g * group..(g + 1) * group], &wr[g * group / 2..(g + 1) * group / 2]);
                acc += exact(g, o, dot) as f32 * scales[at(o, g, groups)];
            }
            *y = acc * xscale + bias.and_then(|b| b.get(o)).copied().unwrap_or(0.0);
        }
    }
}

/// Where row `o`'s parameter for group `g` is: blocks of 8 rows, by group, by row.
pub fn at(o: usize, g: usize, groups: usize) -> usize {
    ((o / 8) * groups + g) * 8 + o % 8
}

fn group_dot(q: &[i8], w: &[u8]) -> i32 {
    q.chunks_exact(32).zip(w.chunks_exact(16)).map(|(q, w)| block_dot(q, w)).sum()
}

/// Repacks XNNPACK's `qbint4` rows (`[n, k / 2]`, byte `i` = code `2i` low,
/// `2i + 1` high) into the layout above, with each group's code sum (at [`at`]),
/// for the tests: etch-codegen repacks the weights at build time
/// (`lower/xnnpack/blockwise.rs`), and the llama fixtures check the two agree.
#[cfg(test)]
fn repack(src: &[u8], n: usize, k: usize, group: usize, out: &mut [u8], wsum: &mut [i32]) {
    let code = |o: usize, i: usize| {
        let b = src.get(o * (k / 2) + i / 2).copied().unwrap_or(0x88);
        if i.is_multiple_of(2) { b & 0xf } else { b >> 4 }
    };
    for o in 0..n {
        for blk in 0..k / 32 {
            for j in 0..16 {
                let (a, b) = (code(o, blk * 32 + j), code(o, blk * 32 + j + 16));
                if let Some(dst) = out.get_mut(o * (k / 2) + blk * 16 + j) {
                    *dst = a | b << 4;
                }
            }
        }
        for g in 0..k / group.max(1) {
            if let Some(s) = wsum.get_mut(at(o, g, k / group)) {
                *s = (g * group..(g + 1) * group).map(|i| i32::from(code(o, i))).sum();
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use core::arch::x86_64::*;

    #[derive(Clone, Copy)]
    pub struct Rows {
        pub k: usize,
        pub group: usize,
        pub zp: i32,
        /// `vpdpbusd` for the sums (the same integers).
        pub vnni: bool,
    }

    /// The f32 sums over groups of output rows `o..o + 8`, before `x_scale` and
    /// the bias: the same integer sums and f32 operations, in the same order,
    /// as the portable loop (multiplies and adds kept apart, no FMA).
    #[target_feature(enable = "avx2")]
    pub unsafe fn rows8(q: &[i8], w: &[u8], scales: &[f32], wsum: &[i32], sums: &[i32], o: usize, r: Rows) -> [f32; 8] {
        let Rows { k, group, zp, vnni } = r;
        let groups = k / group;
        let mut acc = _mm256_setzero_ps();
        let (zpv, eight) = (_mm256_set1_epi32(zp), _mm256_set1_epi32(8));
        let fixed = _mm256_set1_epi32(8 * zp * group as i32);
        for g in 0..groups {
            let qg = &q[g * group..(g + 1) * group];
            // SAFETY: the caller's bounds, as above.
            let dots = unsafe { if vnni { vnni::dots8(qg, w, o, k, g * group) } else { dots8(qg, w, o, k, g * group) } };
            let xs = sums.get(g).copied().unwrap_or_else(|| qg.iter().map(|&v| i32::from(v)).sum());
            let p = super::at(o, g, groups);
            // SAFETY: rows o..o + 8 (o a multiple of 8) of group g lie in `wsum` and `scales` (checked by the caller).
            let (ws, sc) = unsafe { (_mm256_loadu_si256(wsum.as_ptr().add(p).cast()), _mm256_loadu_ps(scales.as_ptr().add(p))) };
            let exact = _mm256_sub_epi32(dots, _mm256_mullo_epi32(eight, _mm256_set1_epi32(xs)));
            let exact = _mm256_add_epi32(_mm256_sub_epi32(exact, _mm256_mullo_epi32(zpv, ws)), fixed);
            acc = _mm256_add_ps(acc, _mm256_mul_ps(_mm256_cvtepi32_ps(exact), sc));
        }
        let mut out = [0.0f32; 8];
        // SAFETY: 8 f32s; unaligned store.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), acc) };
        out
    }

    /// How many blocks of 8 rows ahead the weights are fetched.
    const PREFETCH: usize = 4;

    /// Eight rows' i32 lanes summed into one vector of eight sums.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn reduce8(acc: [__m256i; 8]) -> __m256i {
        let s01 = _mm256_hadd_epi32(acc[0], acc[1]);
        let s23 = _mm256_hadd_epi32(acc[2], acc[3]);
        let s45 = _mm256_hadd_epi32(acc[4], acc[5]);
        let s67 = _mm256_hadd_epi32(acc[6], acc[7]);
        let (lo, hi) = (_mm256_hadd_epi32(s01, s23), _mm256_hadd_epi32(s45, s67));
        _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), _mm256_permute2x128_si256(lo, hi, 0x31))
    }

    /// [`dots8`] with AVX-512 VNNI: `vpdpbusd` multiplies the u8 codes by the
    /// int8 activations and adds each four into an i32 lane, in one instruction.
    mod vnni {
        use core::arch::x86_64::*;

        #[target_feature(enable = "avx2,avx512f,avx512vl,avx512vnni")]
        #[inline]
        pub unsafe fn dots8(q: &[i8], w: &[u8], o: usize, k: usize, start: usize) -> __m256i {
            let mask = _mm_set1_epi8(0xf);
            let mut acc = [_mm256_setzero_si256(); 8];
            for (b, qb) in q.chunks_exact(32).enumerate() {
                // SAFETY: 32 bytes of `q`; unaligned load.
                let xv = unsafe { _mm256_loadu_si256(qb.as_ptr().cast()) };
                for (r, a) in acc.iter_mut().enumerate() {
                    let at = (o + r) * (k / 2) + start / 2 + b * 16;
                    _mm_prefetch::<_MM_HINT_T0>(w.as_ptr().wrapping_add(at + super::PREFETCH * 4 * k).cast());
                    // SAFETY: the caller checked that rows o..o + 8 of k / 2 bytes lie in `w`.
                    let wv = unsafe { _mm_loadu_si128(w.as_ptr().add(at).cast()) };
                    let codes = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(wv, 4), mask), _mm_and_si128(wv, mask));
                    *a = _mm256_dpbusd_epi32(*a, codes, xv);
                }
            }
            super::reduce8(acc)
        }
    }

    /// The group's `Σ q · code` for output rows `o..o + 8`, the group starting
    /// at code `start` of each row (rows of `k` codes in `w`). Codes (u8, at
    /// most 15) times int8 activations never saturate `vpmaddubsw`'s i16 pairs.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn dots8(q: &[i8], w: &[u8], o: usize, k: usize, start: usize) -> __m256i {
        let (mask, ones) = (_mm_set1_epi8(0xf), _mm256_set1_epi16(1));
        let mut acc = [_mm256_setzero_si256(); 8];
        for (b, qb) in q.chunks_exact(32).enumerate() {
            // SAFETY: 32 bytes of `q`; unaligned load.
            let xv = unsafe { _mm256_loadu_si256(qb.as_ptr().cast()) };
            for (r, a) in acc.iter_mut().enumerate() {
                let at = (o + r) * (k / 2) + start / 2 + b * 16;
                // The same bytes PREFETCH blocks of 8 rows ahead (a hint: any address is allowed).
                _mm_prefetch::<_MM_HINT_T0>(w.as_ptr().wrapping_add(at + PREFETCH * 4 * k).cast());
                // SAFETY: the caller checked that rows o..o + 8 of k / 2 bytes lie in `w`.
                let wv = unsafe { _mm_loadu_si128(w.as_ptr().add(at).cast()) };
                let codes = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(wv, 4), mask), _mm_and_si128(wv, mask));
                *a = _mm256_add_epi32(*a, _mm256_madd_epi16(_mm256_maddubs_epi16(codes, xv), ones));
            }
        }
        reduce8(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn rand(seed: &mut u64) -> u32 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 32) as u32
    }

    /// The same layer, dequantized and computed in f64 on the quantized activations.
    #[test]
    fn matches_the_dequantized_product_and_the_portable_path() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for (m, n, k, group) in [(1usize, 5usize, 64usize, 32usize), (3, 7, 128, 64), (2, 4, 96, 32), (1, 19, 64, 32), (2, 16, 128, 128)] {
            let x: Vec<f32> = (0..m * k).map(|_| (rand(&mut seed) % 2001) as f32 / 500.0 - 2.0).collect();
            let packed: Vec<u8> = (0..n * k / 2).map(|_| rand(&mut seed) as u8).collect();
            let params = n.div_ceil(8) * (k / group) * 8;
            let scales: Vec<f32> = (0..params).map(|_| (1 + rand(&mut seed) % 100) as f32 / 1000.0).collect();
            let bias: Vec<f32> = (0..n).map(|i| i as f32 * 0.1).collect();
            let (mut w, mut wsum) = (std::vec![0u8; n * k / 2], std::vec![0i32; params]);
            repack(&packed, n, k, group, &mut w, &mut wsum);
            let s = Q4 { m, n, k, group };
            let (mut out, mut xq) = (std::vec![0.0f32; m * n], std::vec![0i8; k]);
            linear_q4(&x, &w, &scales, &wsum, Some(&bias), &mut out, &mut xq, s);
            let mut portable = std::vec![0.0f32; m * n];
            crate::cpu::portable(|| linear_q4(&x, &w, &scales, &wsum, Some(&bias), &mut portable, &mut xq, s));
            assert_eq!(out, portable, "{s:?}");
            #[cfg(target_arch = "x86_64")]
            if n >= 8 && crate::cpu::avx512_vnni() {
                // The AVX2 sums and the VNNI ones, on the same quantized row.
                super::quantize_row(&x[..k], &mut xq);
                let sums = [0i32; MAX_GROUPS];
                let rows = |vnni| avx2::Rows { k, group, zp: 3, vnni };
                // SAFETY: the CPU has both paths; rows 0..8 lie in the buffers.
                let (a, b) = unsafe { (avx2::rows8(&xq, &w, &scales, &wsum, &sums, 0, rows(false)), avx2::rows8(&xq, &w, &scales, &wsum, &sums, 0, rows(true))) };
                assert_eq!(a, b, "{s:?}");
            }
            let mut fq = std::vec![0.0f32; m * k];
            super::super::dynamic::fake_quant_rows(&x, &mut fq, k);
            for r in 0..m {
                for o in 0..n {
                    let mut want = f64::from(bias[o]);
                    for i in 0..k {
                        let b = packed[o * k / 2 + i / 2];
                        let c = if i % 2 == 0 { b & 0xf } else { b >> 4 };
                        want += f64::from(fq[r * k + i]) * (f64::from(c) - 8.0) * f64::from(scales[at(o, i / group, k / group)]);
                    }
                    let got = f64::from(out[r * n + o]);
                    assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{s:?} [{r}, {o}]: {got} vs {want}");
                }
            }
        }
    }
}
