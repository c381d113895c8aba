//! wasm SIMD128 blocks of the convolutions (compiled in with `+simd128`):
//! the depthwise kernel's 8-output block and im2col's row gather.

use core::arch::wasm32::*;

use crate::matmul::gemm_wasm::clamp;

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
                acc[0] = f32x4_add(acc[0], f32x4_mul(w, v128_load(p.cast())));
                acc[1] = f32x4_add(acc[1], f32x4_mul(w, v128_load(p.add(4).cast())));
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
