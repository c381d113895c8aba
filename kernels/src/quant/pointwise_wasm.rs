//! Int8 1×1 convolution in wasm SIMD128 (compiled in with `+simd128`):
//! `out[co][j] = Σ_ci w[co][ci] · x[ci][j] - x_zp · Σ_ci w[co][ci]`, requantized
//! per channel. `i32x4_dot_i16x8` multiplies i16 pairs and adds each pair into
//! one i32 lane, so pairs run along `ci`: two input rows are widened and
//! interleaved, and each output channel's weights are packed once as i16
//! pairs. Every sum is exact in i32, and the requantization is the portable
//! code's (`Requant::row`), so the outputs are the same bits.

use core::arch::wasm32::*;

use crate::quant::conv::Requant;
use crate::quant::gemm::MAX_CIN;

/// Output channels per tile: each pair of input rows loaded serves four.
const CO: usize = 4;
/// Columns per tile: 8 bytes of an input row, two vectors of interleaved pairs.
const NR: usize = 8;

/// One image: `x` is `[cin, hw]`, `w` is `[cout, cin]`, `out` is `[cout, hw]`.
///
/// # Safety
/// `x`, `w` and `out` hold at least `cin*hw`, `cout*cin` and `cout*hw`
/// elements, and `cin <= MAX_CIN`.
#[allow(clippy::too_many_arguments)]
pub unsafe fn pointwise(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], cin: usize, cout: usize, hw: usize, rq: &Requant<'_>) {
    if cin == 0 || hw == 0 || cin > MAX_CIN {
        return;
    }
    let pairs = cin.div_ceil(2);
    let full = hw / NR * NR;
    // The last hw % 8 columns, copied into zero-filled rows of 8 so the tile reads no further.
    let mut tail = [0i8; MAX_CIN * NR];
    if full < hw {
        for ci in 0..cin {
            let src = x.get(ci * hw + full..(ci + 1) * hw).unwrap_or(&[]);
            if let Some(dst) = tail.get_mut(ci * NR..ci * NR + src.len()) {
                dst.copy_from_slice(src);
            }
        }
    }
    // Pair p of row r at packed[r * pairs + p]: low half w[2p], high half w[2p + 1] (0 past cin).
    let mut packed = [0i32; CO * MAX_CIN.div_ceil(2)];
    let mut co0 = 0;
    while co0 < cout {
        let rows = (cout - co0).min(CO);
        let mut wsum = [0i32; CO];
        for r in 0..rows {
            let row = w.get((co0 + r) * cin..(co0 + r + 1) * cin).unwrap_or(&[]);
            wsum[r] = row.iter().map(|&v| i32::from(v)).sum();
            for (p, pair) in row.chunks(2).enumerate() {
                let lo = pair.first().map_or(0, |&v| i32::from(v) & 0xffff);
                let hi = pair.get(1).map_or(0, |&v| i32::from(v) << 16);
                if let Some(slot) = packed.get_mut(r * pairs + p) {
                    *slot = lo | hi;
                }
            }
        }
        for j0 in (0..full).step_by(NR) {
            // SAFETY: columns j0..j0+8 of rows 0..cin of `x` are in bounds (j0 + 8 <= hw),
            // `packed` holds `rows` rows of `pairs` pairs.
            let acc = unsafe { tile(x, &packed, cin, pairs, hw, j0) };
            for r in 0..rows {
                let co = co0 + r;
                let shift = x_zp * wsum[r];
                let sums: [i32; NR] = acc[r].map(|a| a - shift);
                if let Some(o) = out.get_mut(co * hw + j0..co * hw + j0 + NR) {
                    rq.row(co, &sums, o);
                }
            }
        }
        if full < hw {
            // SAFETY: `tail` holds cin rows of 8 (cin <= MAX_CIN), `packed` as above.
            let acc = unsafe { tile(&tail, &packed, cin, pairs, NR, 0) };
            for r in 0..rows {
                let co = co0 + r;
                let shift = x_zp * wsum[r];
                let sums: [i32; NR] = acc[r].map(|a| a - shift);
                if let Some(o) = out.get_mut(co * hw + full..(co + 1) * hw) {
                    rq.row(co, &sums[..hw - full], o);
                }
            }
        }
        co0 += rows;
    }
}

/// The 4 × 8 sums `Σ_ci w[r][ci] · x[ci][j0 + c]` (rows past the block's come out as 0s
/// of zero weights, which `packed` holds there).
///
/// # Safety
/// Columns j0..j0+8 of rows 0..cin of `x` (rows of `hw` bytes) are in bounds.
#[inline(always)]
unsafe fn tile(x: &[i8], packed: &[i32], cin: usize, pairs: usize, hw: usize, j0: usize) -> [[i32; NR]; CO] {
    let mut acc = [[i32x4_splat(0); 2]; CO];
    let xp = x.as_ptr();
    for p in 0..pairs {
        let ci = 2 * p;
        // SAFETY: rows ci and ci + 1 (when it exists) hold columns j0..j0+8.
        let (r0, r1) = unsafe {
            let r0 = i16x8_extend_low_i8x16(v128_load64_zero(xp.add(ci * hw + j0).cast()));
            let r1 = if ci + 1 < cin { i16x8_extend_low_i8x16(v128_load64_zero(xp.add((ci + 1) * hw + j0).cast())) } else { i16x8_splat(0) };
            (r0, r1)
        };
        // Columns 0..4 and 4..8 as (row ci, row ci + 1) pairs.
        let lo = i16x8_shuffle::<0, 8, 1, 9, 2, 10, 3, 11>(r0, r1);
        let hi = i16x8_shuffle::<4, 12, 5, 13, 6, 14, 7, 15>(r0, r1);
        for (r, acc) in acc.iter_mut().enumerate() {
            let wv = i32x4_splat(packed.get(r * pairs + p).copied().unwrap_or(0));
            acc[0] = i32x4_add(acc[0], i32x4_dot_i16x8(lo, wv));
            acc[1] = i32x4_add(acc[1], i32x4_dot_i16x8(hi, wv));
        }
    }
    acc.map(|[a, b]| {
        let mut lanes = [0i32; NR];
        // SAFETY: `lanes` holds 8 i32s: two vectors.
        unsafe {
            v128_store(lanes.as_mut_ptr().cast(), a);
            v128_store(lanes.as_mut_ptr().add(4).cast(), b);
        }
        lanes
    })
}
