//! Depthwise convolution of narrow planes on AVX-512: rows at most 16 wide
//! (stride 1) or 32 (stride 2), such as mobilenet's 14 × 14 and 7 × 7 layers.
//! Each output row is one 16-lane register, summed straight from the input
//! rows with masked loads (and, for stride 2, a lane permute that picks every
//! other column), so no plane is copied into a zero-bordered band first: on
//! planes this small, that copy cost more than the arithmetic.
//!
//! Each output is summed as `depthwise`'s blocks sum it (the same taps in the
//! same order on two chains, padding read as zeros), so the bits are the same.

use core::arch::x86_64::*;

use super::im2col::Conv2d;
use crate::matmul::gemm::Epilogue;

/// True when rows of `p` are narrow enough for `rows` (the rest as `depthwise::supports`).
pub(super) const fn fits(p: &Conv2d) -> bool {
    match p.stride_w {
        1 => p.in_w <= 16,
        _ => p.in_w <= 32,
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
pub(super) unsafe fn rows<const S: usize, const K: usize>(x: &[f32], w: &[f32], out: *mut f32, p: &Conv2d, e: Epilogue<'_>, (r0, r1): (usize, usize)) {
    let (ih, iw, oh, ow, pad) = (p.in_h, p.in_w, p.out_h, p.out_w, K / 2);
    let bits = |n: usize| if n >= 16 { 0xffff } else { ((1u32 << n) - 1) as __mmask16 };
    let store = bits(ow);
    // Lane l of tap column kx reads input column S * l + kx - pad: on when that
    // is inside the row (and l < ow), as the band's zero border would have it.
    let on: [__mmask16; K] = core::array::from_fn(|kx| {
        (0..ow.min(16)).filter(|&l| (S * l + kx).checked_sub(pad).is_some_and(|c| c < iw)).fold(0, |m, l| m | 1 << l)
    });
    // Stride 2: lanes of the two registers holding a row (32 columns) that tap kx picks.
    let pick: [__m512i; K] = core::array::from_fn(|kx| {
        let mut idx = [0i32; 16];
        for (l, v) in idx.iter_mut().enumerate() {
            *v = ((S * l + kx) as i32 - pad as i32).clamp(0, 31);
        }
        // SAFETY: 16 i32 are one 512-bit load.
        unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }
    });
    let (lo, hi) = (bits(iw), bits(iw.saturating_sub(16)));
    let clamp = e.clamp.map(|(lo, hi)| (_mm512_set1_ps(lo), _mm512_set1_ps(hi)));
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
                    let iy = (S * oy + ky).checked_sub(pad).filter(|&iy| iy < ih);
                    let row = iy.map(|iy| src.add(iy * iw));
                    let (a, b) = match (S, row) {
                        (1, _) | (_, None) => (_mm512_setzero_ps(), _mm512_setzero_ps()),
                        (_, Some(r)) => (_mm512_maskz_loadu_ps(lo, r), _mm512_maskz_loadu_ps(hi, r.wrapping_add(16))),
                    };
                    for kx in 0..K {
                        let v = match row {
                            None => _mm512_setzero_ps(),
                            // Lanes off are those whose column is outside the row.
                            Some(r) if S == 1 => _mm512_maskz_loadu_ps(on[kx], r.wrapping_add(kx).wrapping_sub(pad)),
                            Some(_) => _mm512_maskz_permutex2var_ps(on[kx], a, pick[kx], b),
                        };
                        let chain = &mut acc[(ky * K + kx) & 1];
                        *chain = _mm512_fmadd_ps(_mm512_set1_ps(*taps.add(ky * K + kx)), v, *chain);
                    }
                }
                let mut v = _mm512_add_ps(acc[0], acc[1]);
                if let Some((lo, hi)) = clamp {
                    // max/min return their second operand for NaN: put v second to keep NaNs.
                    v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
                }
                _mm512_mask_storeu_ps(out.add((plane * oh + oy) * ow), store, v);
            }
        }
    }
}
