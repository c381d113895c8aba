//! One output row of `quant::conv3x3`'s AVX2 kernel with AVX-512 VNNI, for CPUs
//! that report it (`cpu::avx512_vnni`): the same rows of i16 pairs, 16 outputs
//! per register, and `vpdpwssd`, which multiplies the pairs and adds them to the
//! sums in one instruction. Exact integer sums, then the portable kernel's f32
//! requantization: the same bits.

use core::arch::x86_64::*;

use super::conv::Requant;
use super::conv3x3::{Taps, MAX_ICG};
use super::gemm_vnni::quantize16;

/// Outputs per register.
pub(crate) const LANES: usize = 16;

/// One output row of channel `co`: T = 3 × input channels (kernel rows) read `src`.
///
/// # Safety
/// The CPU supports AVX-512 F/BW/VL and VNNI; each of the first T rows in `src`
/// holds `ceil(len(o) / 16) * 16 + 2` pairs.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2")]
pub(crate) unsafe fn row<const T: usize>(o: &mut [i8], src: &[*const i32; 3 * MAX_ICG], w: &[i8], co: usize, s: usize, rq: &Requant<'_>) {
    let Taps { w01: p01, w2: p2, third, scale, bias } = Taps::<T>::new(w, co, s, rq);
    let len = o.len();
    // SAFETY: o0 + third + 16 <= ceil(len / 16) * 16 + 2, inside every row; the
    // store is masked to the outputs below `len`.
    unsafe {
        // A loop, not `map`: a closure would not inherit the target features.
        let (mut w01, mut w2) = ([_mm512_setzero_si512(); T], [_mm512_setzero_si512(); T]);
        for t in 0..T {
            w01[t] = _mm512_set1_epi32(p01[t]);
            w2[t] = _mm512_set1_epi32(p2[t]);
        }
        for o0 in (0..len).step_by(LANES) {
            let mut acc = _mm512_setzero_si512();
            for t in 0..T {
                let r = src[t].add(o0);
                acc = _mm512_dpwssd_epi32(acc, _mm512_loadu_si512(r.cast()), w01[t]);
                acc = _mm512_dpwssd_epi32(acc, _mm512_loadu_si512(r.add(third).cast()), w2[t]);
            }
            let bytes = _mm512_cvtsepi32_epi8(quantize16(acc, scale, bias, rq));
            let lanes = (len - o0).min(LANES);
            let mask = ((1u32 << lanes) - 1) as __mmask16;
            _mm_mask_storeu_epi8(o.as_mut_ptr().add(o0).cast(), mask, bytes);
        }
    }
}
