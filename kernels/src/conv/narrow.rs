//! Depthwise convolution of narrow planes on AVX-512: rows at most 16 wide at
//! stride 1, output rows at most 64 wide at stride 2 (mobilenet's 14 × 14 and
//! 7 × 7 layers, and its stride-2 ones down to 56 × 56). Each output row is
//! summed straight from the input rows in 16-lane registers: at stride 1 by
//! masked loads at each tap's offset, at stride 2 from each input row split in
//! registers into its even and odd columns. No plane is copied into a
//! zero-bordered band first: on planes this small, that copy cost more than
//! the arithmetic.
//!
//! Each output is summed as `depthwise`'s blocks sum it (the same taps in the
//! same order on two chains, padding read as zeros), so the bits are the same.

use core::arch::x86_64::*;

use super::im2col::Conv2d;
use crate::matmul::gemm::Epilogue;

/// Most 16-lane registers a stride-2 output row takes here (64 columns).
const CHUNKS: usize = 4;

/// True when rows of `p` are narrow enough for `rows` (the rest as `depthwise::supports`).
pub(super) const fn fits(p: &Conv2d) -> bool {
    // Wider stride-1 rows are faster in bands: 56 × 56 took 285 µs here against 182.
    match p.stride_w {
        1 => p.out_w <= 16,
        _ => p.out_w <= 16 * CHUNKS,
    }
}

/// Rows `r0..r1` of every output plane.
///
/// # Safety
/// The CPU supports AVX-512 F/BW/DQ/VL; `p` is square K × K with padding K / 2,
/// stride S and `fits(p)`; `x` holds batch × channels planes of in_h × in_w
/// floats and `w` channels × K × K; `out` holds batch × channels planes of
/// out_h × out_w, r0 <= r1 <= out_h, and no other thread touches those rows meanwhile.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
pub(super) unsafe fn rows<const S: usize, const K: usize>(x: &[f32], w: &[f32], out: *mut f32, p: &Conv2d, e: Epilogue<'_>, rows: (usize, usize)) {
    // SAFETY: as the caller guarantees.
    unsafe {
        match (S, p.out_w.div_ceil(16)) {
            (1, _) => stride1::<K>(x, w, out, p, e, rows),
            (_, 1) => stride2::<K, 1>(x, w, out, p, e, rows),
            (_, 2) => stride2::<K, 2>(x, w, out, p, e, rows),
            (_, 3) => stride2::<K, 3>(x, w, out, p, e, rows),
            _ => stride2::<K, 4>(x, w, out, p, e, rows),
        }
    }
}

/// Lanes `0..n` (all 16 from n = 16 on).
#[inline(always)]
fn bits(n: usize) -> __mmask16 {
    if n >= 16 {
        0xffff
    } else {
        ((1u32 << n) - 1) as __mmask16
    }
}

/// Bias, then clamp, of an output register summed on two chains.
///
/// # Safety
/// The CPU supports AVX-512 F.
#[inline(always)]
unsafe fn finish(acc: [__m512; 2], clamp: Option<(__m512, __m512)>) -> __m512 {
    // SAFETY: register arithmetic only.
    unsafe {
        let v = _mm512_add_ps(acc[0], acc[1]);
        // max/min return their second operand for NaN: put v second to keep NaNs.
        clamp.map_or(v, |(lo, hi)| _mm512_min_ps(hi, _mm512_max_ps(lo, v)))
    }
}

/// Stride 1, rows at most 16 wide: tap column kx of lane l is input column
/// l + kx - pad, a masked load at an offset.
///
/// # Safety
/// As `rows`, with S = 1 and in_w = out_w <= 16.
#[inline(always)]
unsafe fn stride1<const K: usize>(x: &[f32], w: &[f32], out: *mut f32, p: &Conv2d, e: Epilogue<'_>, (r0, r1): (usize, usize)) {
    let (ih, iw, oh, ow, pad) = (p.in_h, p.in_w, p.out_h, p.out_w, K / 2);
    // Lane l of tap column kx is on when its column is inside the row (and l < ow),
    // as the band's zero border would have it.
    let on: [__mmask16; K] =
        core::array::from_fn(|kx| (0..ow.min(16)).filter(|&l| (l + kx).checked_sub(pad).is_some_and(|c| c < iw)).fold(0, |m, l| m | 1 << l));
    // SAFETY: register arithmetic only.
    let clamp = e.clamp.map(|(lo, hi)| unsafe { (_mm512_set1_ps(lo), _mm512_set1_ps(hi)) });
    for plane in 0..p.batch * p.in_channels {
        let c = plane % p.in_channels;
        let bias = e.bias.and_then(|b| b.get(c)).copied().unwrap_or(0.0);
        // SAFETY: loads are masked to the columns of rows 0..ih of this plane,
        // inside `x`; the weights are channel c's K × K, inside `w`; stores are
        // masked to the ow floats of output row oy of this plane, inside `out`
        // and this call's (the caller's guarantees).
        unsafe {
            let taps = w.as_ptr().add(c * K * K);
            let src = x.as_ptr().add(plane * ih * iw);
            for oy in r0..r1 {
                let mut acc = [_mm512_set1_ps(bias), _mm512_setzero_ps()];
                for ky in 0..K {
                    let row = (oy + ky).checked_sub(pad).filter(|&iy| iy < ih).map(|iy| src.add(iy * iw));
                    for kx in 0..K {
                        let v = row.map_or(_mm512_setzero_ps(), |r| _mm512_maskz_loadu_ps(on[kx], r.wrapping_add(kx).wrapping_sub(pad)));
                        let chain = &mut acc[(ky * K + kx) & 1];
                        *chain = _mm512_fmadd_ps(_mm512_set1_ps(*taps.add(ky * K + kx)), v, *chain);
                    }
                }
                _mm512_mask_storeu_ps(out.add((plane * oh + oy) * ow), bits(ow), finish(acc, clamp));
            }
        }
    }
}

/// Stride 2, output rows of at most 16 × CH columns. Each input row is split
/// in registers into its even and odd columns, 32 columns (16 of each) a
/// chunk; tap column kx of lane l is input column 2l + kx - pad, that is the
/// even or odd register of the lane's chunk shifted by at most one lane,
/// which `alignr` takes across the neighbouring chunk.
///
/// # Safety
/// As `rows`, with S = 2, K <= 5 and out_w <= 16 × CH.
#[inline(always)]
unsafe fn stride2<const K: usize, const CH: usize>(x: &[f32], w: &[f32], out: *mut f32, p: &Conv2d, e: Epilogue<'_>, (r0, r1): (usize, usize)) {
    let (ih, iw, oh, ow, pad) = (p.in_h, p.in_w, p.out_h, p.out_w, K / 2);
    // SAFETY: register arithmetic only.
    let (even, odd, clamp) = unsafe {
        (
            _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30),
            _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31),
            e.clamp.map(|(lo, hi)| (_mm512_set1_ps(lo), _mm512_set1_ps(hi))),
        )
    };
    for plane in 0..p.batch * p.in_channels {
        let c = plane % p.in_channels;
        let bias = e.bias.and_then(|b| b.get(c)).copied().unwrap_or(0.0);
        // SAFETY: loads are masked to the columns of rows 0..ih of this plane,
        // inside `x` (columns past the row, or of a chunk past it, are off);
        // the weights are channel c's K × K, inside `w`; stores are masked to
        // the ow floats of output row oy of this plane, inside `out` and this
        // call's (the caller's guarantees).
        unsafe {
            let taps = w.as_ptr().add(c * K * K);
            let src = x.as_ptr().add(plane * ih * iw);
            for oy in r0..r1 {
                let mut acc = [[_mm512_set1_ps(bias), _mm512_setzero_ps()]; CH];
                for ky in 0..K {
                    let Some(row) = (2 * oy + ky).checked_sub(pad).filter(|&iy| iy < ih).map(|iy| src.add(iy * iw)) else {
                        // A padding row: every tap reads zeros.
                        for acc in acc.iter_mut() {
                            for kx in 0..K {
                                let chain = &mut acc[(ky * K + kx) & 1];
                                *chain = _mm512_fmadd_ps(_mm512_set1_ps(*taps.add(ky * K + kx)), _mm512_setzero_ps(), *chain);
                            }
                        }
                        continue;
                    };
                    // Even and odd columns of chunks 0..CH, and the even ones of chunk CH
                    // (the right neighbour a 5 × 5's last tap reads).
                    let split = |ch: usize| {
                        let at = 32 * ch;
                        let lo = _mm512_maskz_loadu_ps(bits(iw.saturating_sub(at)), row.wrapping_add(at));
                        let hi = _mm512_maskz_loadu_ps(bits(iw.saturating_sub(at + 16)), row.wrapping_add(at + 16));
                        (_mm512_permutex2var_ps(lo, even, hi), _mm512_permutex2var_ps(lo, odd, hi))
                    };
                    let halves: [(__m512, __m512); CH] = core::array::from_fn(split);
                    let next = if K > 3 { split(CH).0 } else { _mm512_setzero_ps() };
                    let zero = _mm512_setzero_ps();
                    for (ch, acc) in acc.iter_mut().enumerate() {
                        let (e0, o0) = halves[ch];
                        let (ep, op) = if ch > 0 { halves[ch - 1] } else { (zero, zero) };
                        let en = if ch + 1 < CH { halves[ch + 1].0 } else { next };
                        for kx in 0..K {
                            // Input column 2l + d: d even is the even register shifted by d / 2.
                            let v = match kx as isize - pad as isize {
                                -2 => _mm512_castsi512_ps(_mm512_alignr_epi32::<15>(_mm512_castps_si512(e0), _mm512_castps_si512(ep))),
                                -1 => _mm512_castsi512_ps(_mm512_alignr_epi32::<15>(_mm512_castps_si512(o0), _mm512_castps_si512(op))),
                                0 => e0,
                                1 => o0,
                                _ => _mm512_castsi512_ps(_mm512_alignr_epi32::<1>(_mm512_castps_si512(en), _mm512_castps_si512(e0))),
                            };
                            let chain = &mut acc[(ky * K + kx) & 1];
                            *chain = _mm512_fmadd_ps(_mm512_set1_ps(*taps.add(ky * K + kx)), v, *chain);
                        }
                    }
                }
                let o = out.add((plane * oh + oy) * ow);
                for (ch, &acc) in acc.iter().enumerate() {
                    _mm512_mask_storeu_ps(o.add(16 * ch), bits(ow.saturating_sub(16 * ch)), finish(acc, clamp));
                }
            }
        }
    }
}
