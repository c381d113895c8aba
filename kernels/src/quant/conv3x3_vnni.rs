//! Output rows of `quant::conv3x3`'s AVX2 kernel with AVX-512 VNNI, for CPUs
//! that report it (`cpu::avx512_vnni`): the same rows of i16 pairs, 16 outputs
//! per register, and `vpdpwssd`, which multiplies the pairs and adds them to the
//! sums in one instruction. Up to 8 output channels at once share each load of
//! the input pairs, and their sums are independent chains. Exact integer sums,
//! then the portable kernel's f32 requantization: the same bits.

use core::arch::x86_64::*;

use super::conv::Requant;
use super::conv3x3::{Taps, MAX_ICG};
use super::gemm_vnni::quantize16;

/// Outputs per register.
pub(crate) const LANES: usize = 16;

/// One output row (`ow` bytes) of channels co..co + C: the first channel's at
/// `out`, each next one `plane` bytes on. T = 3 × input channels (kernel rows) read `src`.
///
/// # Safety
/// The CPU supports AVX-512 F/BW/VL and VNNI; each of the first T rows in `src`
/// holds `ceil(ow / 16) * 16 + 2` pairs; `out.add(c * plane)` is valid for writes
/// of `ow` bytes for every c < C, and no other thread touches them meanwhile.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn rows<const T: usize, const C: usize>(out: *mut i8, plane: usize, ow: usize, src: &[*const i32; 3 * MAX_ICG], w: &[i8], co: usize, s: usize, rq: &Requant<'_>) {
    let taps: [Taps<T>; C] = core::array::from_fn(|c| Taps::new(w, co + c, s, rq));
    let third = taps.first().map_or(2, |t| t.third);
    // SAFETY: o0 + third + 16 <= ceil(ow / 16) * 16 + 2, inside every row; each
    // channel's store is masked to its outputs below `ow`.
    unsafe {
        for o0 in (0..ow).step_by(LANES) {
            let mut acc = [_mm512_setzero_si512(); C];
            for (t, &row) in src.iter().enumerate().take(T) {
                let r = row.add(o0);
                let (x01, x2) = (_mm512_loadu_si512(r.cast()), _mm512_loadu_si512(r.add(third).cast()));
                for (acc, taps) in acc.iter_mut().zip(&taps) {
                    *acc = _mm512_dpwssd_epi32(*acc, x01, _mm512_set1_epi32(taps.w01[t]));
                    *acc = _mm512_dpwssd_epi32(*acc, x2, _mm512_set1_epi32(taps.w2[t]));
                }
            }
            let mask = ((1u32 << (ow - o0).min(LANES)) - 1) as __mmask16;
            for (c, (acc, taps)) in acc.iter().zip(&taps).enumerate() {
                let bytes = _mm512_cvtsepi32_epi8(quantize16(*acc, taps.scale, taps.bias, rq));
                _mm_mask_storeu_epi8(out.add(c * plane + o0).cast(), mask, bytes);
            }
        }
    }
}
