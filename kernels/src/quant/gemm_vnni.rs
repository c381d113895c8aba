//! Int8 1×1 convolution with AVX-512 VNNI, for CPUs that report it
//! (`cpu::avx512_vnni`): `vpdpbusd` multiplies four unsigned bytes by four
//! signed ones and adds the four products into an i32 lane, 64 products per
//! instruction. The activations are made unsigned by flipping their sign bit
//! (`x + 128`), and the sums corrected by `128 · Σ w`, so they equal the portable
//! kernel's exactly; the requantization repeats its f32 steps lane by lane.
//!
//! Per panel of 48 columns, the input is packed once as groups of 4 channels
//! (one 32-bit lane per column), then every block of 8 output channels runs
//! over it with its weights read in place: 4 consecutive channels of a weight
//! row are one broadcast 32-bit word.

use core::arch::x86_64::*;

use crate::quant::conv::Requant;

/// Largest input channel count the packed panel takes (larger ones use the AVX2 kernel).
pub const MAX_CIN: usize = 1024;

/// Lanes (columns) per register.
const L: usize = 16;
/// Registers per panel row.
const V: usize = 3;
/// Columns per panel.
pub(crate) const NR: usize = L * V;
/// Output channels per tile: 8 × 3 accumulators of the 32 registers.
const MR: usize = 8;

/// The kernel covers this many input channels: whole groups of 4, within `MAX_CIN`.
#[inline]
pub fn supports(cin: usize) -> bool {
    cin > 0 && cin.is_multiple_of(4) && cin <= MAX_CIN
}

/// Cache-line aligned panel: `cin / 4` groups of V registers.
#[repr(C, align(64))]
struct Panel([u8; MAX_CIN / 4 * V * 64]);

/// One image: `x` is `[cin, hw]`, `w` is `[cout, cin]`, `out` is `[cout, hw]`.
///
/// # Safety
/// The CPU supports AVX-512 F/BW/VL and VNNI (`cpu::avx512_vnni`); `x`, `w`
/// and `out` hold at least `cin*hw`, `cout*cin` and `cout*hw` elements;
/// `supports(cin)`.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2")]
#[allow(clippy::too_many_arguments)]
pub unsafe fn pointwise(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], cin: usize, cout: usize, hw: usize, rq: &Requant<'_>) {
    // SAFETY: the caller's; `out` is borrowed whole.
    unsafe { columns(x, x_zp, w, out.as_mut_ptr(), cin, cout, hw, (0, hw), rq) }
}

/// Columns `cols.0..cols.1` of `pointwise` (of every output channel), written through `out`.
///
/// # Safety
/// As `pointwise`, with `out` valid for writes of `cout*hw` bytes; `cols.1 <= hw`;
/// no other thread touches those columns of `out` meanwhile.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,avx2")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn columns(
    x: &[i8],
    x_zp: i32,
    w: &[i8],
    out: *mut i8,
    cin: usize,
    cout: usize,
    hw: usize,
    cols: (usize, usize),
    rq: &Requant<'_>,
) {
    let mut panel = core::mem::MaybeUninit::<Panel>::uninit();
    let panel = panel.as_mut_ptr().cast::<u8>();
    let groups = cin / 4;
    for j0 in (cols.0..cols.1).step_by(NR) {
        let cols = (cols.1 - j0).min(NR);
        let masks: [__mmask16; V] = core::array::from_fn(|v| lanes(cols.saturating_sub(L * v)));
        let regs = cols.div_ceil(L);
        for g in 0..groups {
            for (v, &mk) in masks.iter().enumerate().take(regs) {
                // SAFETY: rows 4g..4g+4 hold columns j0 + 16v + (lanes on in mk) (caller's
                // sizes); group g's register v is inside the panel (g < MAX_CIN / 4).
                unsafe { pack4(panel.add((g * V + v) * 64), x.as_ptr().add(4 * g * hw + j0 + L * v), hw, mk) };
            }
        }
        let t = Tile { x_zp, w, out, cin, hw, j0, masks, panel, rq };
        let mut co0 = 0;
        while co0 < cout {
            let r = match cout - co0 {
                8.. => MR,
                4..=7 => 4,
                2..=3 => 2,
                _ => 1,
            };
            // SAFETY: rows co0..co0+r of `w` and `out` exist, and this panel's columns
            // of `out` are ours to write (the caller's); the panel was packed above
            // for `regs` registers.
            unsafe {
                match (r, regs) {
                    (8, 3) => t.run::<8, 3>(co0),
                    (4, 3) => t.run::<4, 3>(co0),
                    (2, 3) => t.run::<2, 3>(co0),
                    (_, 3) => t.run::<1, 3>(co0),
                    (8, 2) => t.run::<8, 2>(co0),
                    (4, 2) => t.run::<4, 2>(co0),
                    (2, 2) => t.run::<2, 2>(co0),
                    (_, 2) => t.run::<1, 2>(co0),
                    (8, _) => t.run::<8, 1>(co0),
                    (4, _) => t.run::<4, 1>(co0),
                    (2, _) => t.run::<2, 1>(co0),
                    (_, _) => t.run::<1, 1>(co0),
                }
            }
            co0 += r;
        }
    }
}

/// The low `n` of 16 lanes.
#[inline(always)]
fn lanes(n: usize) -> __mmask16 {
    if n >= L {
        0xffff
    } else {
        ((1u32 << n) - 1) as __mmask16
    }
}

/// Four rows of 16 columns (`stride` apart, lanes off in `mk` read as 0) to 64
/// bytes at `dst`: column c's four bytes, sign bits flipped, in lane c.
///
/// # Safety
/// AVX-512 F/BW/VL; the lanes on in `mk` of each row are readable, 64 bytes writable at `dst`.
#[inline(always)]
unsafe fn pack4(dst: *mut u8, src: *const i8, stride: usize, mk: __mmask16) {
    // SAFETY: masked loads touch only the lanes on in `mk`.
    unsafe {
        let row = |i: usize| _mm_maskz_loadu_epi8(mk, src.add(i * stride).cast());
        let z = _mm512_inserti32x4::<1>(_mm512_castsi128_si512(row(0)), row(1));
        let z = _mm512_inserti32x4::<3>(_mm512_inserti32x4::<2>(z, row(2)), row(3));
        // 128-bit lane i holds row i as 4 words of 4 columns; word q of row i goes to
        // lane q, position i: then lane q holds columns 4q..4q+4 of the 4 rows.
        let words = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        let z = _mm512_permutexvar_epi32(words, z);
        // Within a lane, byte 4i + c (row i, column c) goes to 4c + i.
        let bytes = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
        let z = _mm512_shuffle_epi8(z, bytes);
        _mm512_storeu_si512(dst.cast(), _mm512_xor_si512(z, _mm512_set1_epi8(-128)));
    }
}

/// One packed panel and what its tiles share.
struct Tile<'a> {
    x_zp: i32,
    w: &'a [i8],
    out: *mut i8,
    cin: usize,
    hw: usize,
    j0: usize,
    masks: [__mmask16; V],
    panel: *const u8,
    rq: &'a Requant<'a>,
}

impl Tile<'_> {
    /// Output channels co0..co0+R over the panel's columns.
    ///
    /// # Safety
    /// AVX-512 VNNI; rows co0..co0+R of `w` and `out` exist, the panel's columns
    /// of `out` are writable by this thread alone, `VV` registers of each group were packed.
    #[inline(always)]
    unsafe fn run<const R: usize, const VV: usize>(&self, co0: usize) {
        let cin = self.cin;
        // SAFETY: every weight read is inside rows co0..co0+R (cin bytes each, 4 at
        // a time below cin); panel reads are of packed groups.
        unsafe {
            let wp = self.w.as_ptr().add(co0 * cin);
            let mut acc = [[_mm512_setzero_si512(); VV]; R];
            let mut p = self.panel;
            for g in 0..cin / 4 {
                let xv: [__m512i; VV] = core::array::from_fn(|v| _mm512_load_si512(p.add(v * 64).cast()));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let wv = _mm512_set1_epi32(wp.add(r * cin + 4 * g).cast::<i32>().read_unaligned());
                    for (a, &xv) in acc.iter_mut().zip(&xv) {
                        *a = _mm512_dpbusd_epi32(*a, xv, wv);
                    }
                }
                p = p.add(V * 64);
            }
            for (r, acc) in acc.iter().enumerate() {
                let co = co0 + r;
                let wsum = row_sum(wp.add(r * cin), cin);
                // Σ w·(x + 128) - (128 + x_zp)·Σ w = Σ w·(x - x_zp).
                let shift = _mm512_set1_epi32((128 + self.x_zp).wrapping_mul(wsum));
                let (s, b) = (self.rq.scale.get(co).copied().unwrap_or(0.0), self.rq.bias.get(co).copied().unwrap_or(0.0));
                for (v, &a) in acc.iter().enumerate() {
                    let q = quantize16(_mm512_sub_epi32(a, shift), s, b, self.rq);
                    let dst = self.out.add(co * self.hw + self.j0 + L * v);
                    _mm_mask_storeu_epi8(dst, self.masks[v], _mm512_cvtsepi32_epi8(q));
                }
            }
        }
    }
}

/// `Σ w[0..cin]` as i32 (`cin` a multiple of 4).
///
/// # Safety
/// AVX-512 VNNI; `cin` bytes readable at `w`.
#[inline(always)]
unsafe fn row_sum(w: *const i8, cin: usize) -> i32 {
    // SAFETY: masked loads touch only the bytes below cin.
    unsafe {
        let ones = _mm512_set1_epi8(1);
        let mut s = _mm512_setzero_si512();
        for c in (0..cin).step_by(64) {
            let n = cin - c;
            let mk = if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
            s = _mm512_dpbusd_epi32(s, ones, _mm512_maskz_loadu_epi8(mk, w.add(c)));
        }
        _mm512_reduce_add_epi32(s)
    }
}

/// `Out::quantize(acc as f32 * scale + bias)` on 16 lanes, as `quant::affine_avx2`'s
/// `quantize8` on 8: the same f32 product and sum (no fused multiply-add), as
/// i32 inside `[out.min, out.max]`.
#[inline(always)]
pub(crate) unsafe fn quantize16(acc: __m512i, scale: f32, bias: f32, rq: &Requant<'_>) -> __m512i {
    let out = rq.out;
    // SAFETY: register arithmetic only.
    unsafe {
        let v = _mm512_add_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_set1_ps(scale)), _mm512_set1_ps(bias));
        let t = _mm512_mul_ps(v, _mm512_set1_ps(out.inv_scale));
        let (lo, hi) = ((out.min - out.zero_point) as f32, (out.max - out.zero_point) as f32);
        // max returns its second operand for NaN: NaN goes to the low bound.
        let t = _mm512_min_ps(_mm512_max_ps(t, _mm512_set1_ps(lo)), _mm512_set1_ps(hi));
        _mm512_add_epi32(_mm512_cvtps_epi32(t), _mm512_set1_epi32(out.zero_point))
    }
}
