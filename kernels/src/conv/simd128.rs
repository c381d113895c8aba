//! wasm SIMD128 blocks of the convolutions (compiled in with `+simd128`):
//! the depthwise kernel's 8-output block, im2col's row gather and the RGB
//! stem's output row. Each step is `madd` (fused only with relaxed SIMD).

use core::arch::wasm32::*;

use super::conv3x3s2::{tap, MAX_CIN, ROW};
use crate::matmul::gemm::Epilogue;
use crate::matmul::gemm_wasm::{clamp, madd};

/// `depthwise::block` in vectors: `o` = clamp(bias + the K×K taps of the 8
/// outputs from flat position `j`), summed tap by tap as the portable block.
///
/// # Safety
/// `j + off + 8 <= buf.len()` for every `off` in `offs`.
#[inline(always)]
pub unsafe fn depthwise_block<const K: usize>(buf: &[f32], j: usize, offs: &[[usize; K]; K], taps: &[[f32; K]; K], bias: f32, clamp_to: Option<(f32, f32)>, o: &mut [f32]) {
    // SAFETY: the caller guarantees each 8-float window is in `buf`; the stores
    // write min(o.len(), 8) floats of `o`.
    unsafe {
        let base = buf.as_ptr().add(j);
        let mut acc = [f32x4_splat(bias); 2];
        for (offs, taps) in offs.iter().zip(taps) {
            for (&off, &wv) in offs.iter().zip(taps) {
                let w = f32x4_splat(wv);
                let p = base.add(off);
                acc[0] = madd(w, v128_load(p.cast()), acc[0]);
                acc[1] = madd(w, v128_load(p.add(4).cast()), acc[1]);
            }
        }
        if let Some((lo, hi)) = clamp_to {
            acc = acc.map(|v| clamp(v, lo, hi));
        }
        if o.len() >= 8 {
            v128_store(o.as_mut_ptr().cast(), acc[0]);
            v128_store(o.as_mut_ptr().add(4).cast(), acc[1]);
        } else {
            let mut lanes = [0.0f32; 8];
            v128_store(lanes.as_mut_ptr().cast(), acc[0]);
            v128_store(lanes.as_mut_ptr().add(4).cast(), acc[1]);
            o.iter_mut().zip(lanes).for_each(|(o, v)| *o = v);
        }
    }
}

/// `dst[i] = src[i * stride]` for stride 1 or 2, 4 outputs per vector; false
/// (nothing written) for other strides. Reads stay inside `src`.
#[inline(always)]
pub fn gather(dst: &mut [f32], src: &[f32], stride: usize) -> bool {
    let n = match stride {
        1 => dst.len().min(src.len()),
        2 => dst.len().min(src.len().div_ceil(2)),
        _ => return false,
    };
    // Vectors while a whole one (4 outputs, 4 · stride inputs) is in bounds.
    let body = if src.len() >= 4 * stride { (n.min((src.len() - 4 * stride) / stride + 1)) / 4 * 4 } else { 0 };
    let (s, d) = (src.as_ptr(), dst.as_mut_ptr());
    let mut i = 0;
    while i < body {
        // SAFETY: i + 4 <= body, so outputs i..i+4 are in `dst` and inputs
        // stride*i .. stride*i + 4*stride are in `src` (body's bound above).
        unsafe {
            let v = if stride == 1 {
                v128_load(s.add(i).cast())
            } else {
                let (a, b) = (v128_load(s.add(2 * i).cast()), v128_load(s.add(2 * i + 4).cast()));
                // Lanes 0 and 2 of each: the even floats.
                i32x4_shuffle::<0, 2, 4, 6>(a, b)
            };
            v128_store(d.add(i).cast(), v);
        }
        i += 4;
    }
    for (i, o) in dst.iter_mut().enumerate().take(n).skip(body) {
        if let Some(&v) = src.get(i * stride) {
            *o = v;
        }
    }
    true
}

/// `conv3x3s2`'s output row `oy`, every channel: tiles of up to 4 channels ×
/// 8 columns sum in registers over the taps in the portable row's order
/// (input channel, kernel row, column), then bias and clamp.
///
/// # Safety
/// 16 <= ow <= MAX_OW; `w` holds cout * cin * 9 floats and `out` cout * oh * ow;
/// oy < oh; cin <= MAX_CIN.
#[allow(clippy::too_many_arguments)]
pub unsafe fn stem_row(rows: &[[[[f32; ROW]; 2]; 3]; MAX_CIN], w: &[f32], out: &mut [f32], cin: usize, cout: usize, oh: usize, ow: usize, oy: usize, e: &Epilogue<'_>) {
    let mut ox = 0;
    while ox < ow {
        // The last block overlaps the one before instead of a partial tail.
        let at = ox.min(ow - 8);
        let mut co0 = 0;
        while co0 < cout {
            let r = (cout - co0).min(4);
            // SAFETY: as this function's contract, for channels co0..co0+r and columns at..at+8.
            unsafe {
                match r {
                    4 => stem_tile::<4>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                    3 => stem_tile::<3>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                    2 => stem_tile::<2>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                    _ => stem_tile::<1>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                }
            }
            co0 += r;
        }
        ox = at + 8;
    }
}

/// Channels co0..co0+R, columns at..at+8 of output row oy.
///
/// # Safety
/// As `stem_row`, with co0 + R <= cout and at + 8 <= ow.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn stem_tile<const R: usize>(rows: &[[[[f32; ROW]; 2]; 3]; MAX_CIN], w: &[f32], out: &mut [f32], cin: usize, oh: usize, ow: usize, oy: usize, co0: usize, at: usize, e: &Epilogue<'_>) {
    // SAFETY: windows start at `at + off <= ow - 7` and read 8 floats, inside a
    // phase row of ROW > MAX_OW + 1; weights (co0 + r) * cin * 9 + t < cout * cin * 9;
    // stores are columns at..at+8 of rows (co0 + r, oy), inside `out`.
    unsafe {
        let mut acc = [[f32x4_splat(0.0); 2]; R];
        let taps = cin * 9;
        let wp = w.as_ptr().add(co0 * taps);
        for (ci, chan) in rows.iter().enumerate().take(cin) {
            for (ky, phases) in chan.iter().enumerate() {
                for kx in 0..3 {
                    let (ph, off) = tap(kx);
                    let src = phases[ph].as_ptr().add(at + off);
                    let (v0, v1) = (v128_load(src.cast()), v128_load(src.add(4).cast()));
                    let t = ci * 9 + ky * 3 + kx;
                    for (r, acc) in acc.iter_mut().enumerate() {
                        let wv = v128_load32_splat(wp.add(r * taps + t).cast());
                        acc[0] = madd(wv, v0, acc[0]);
                        acc[1] = madd(wv, v1, acc[1]);
                    }
                }
            }
        }
        for (r, acc) in acc.iter_mut().enumerate() {
            let co = co0 + r;
            if let Some(&b) = e.bias.and_then(|b| b.get(co)) {
                *acc = acc.map(|v| f32x4_add(v, f32x4_splat(b)));
            }
            if let Some((lo, hi)) = e.clamp {
                *acc = acc.map(|v| clamp(v, lo, hi));
            }
            let o = out.as_mut_ptr().add((co * oh + oy) * ow + at);
            v128_store(o.cast(), acc[0]);
            v128_store(o.add(4).cast(), acc[1]);
        }
    }
}
