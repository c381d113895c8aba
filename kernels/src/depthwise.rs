//! Depthwise convolution (one filter per channel), 3×3 or 5×5 with "same"
//! padding (K/2), stride 1 or 2, NCHW, bias and clamp fused. Each output row
//! reads K zero-bordered row copies, so no tap needs an edge check; 3×3 rows
//! too wide for the copies take a slower path with explicit edges.

use crate::conv::Conv2d;
use crate::gemm::Epilogue;

/// Widest padded row; the stack holds K of them.
const PAD_MAX: usize = 128;
/// Lanes per block: fixed-size arrays let LLVM keep a block in vector registers.
const LANES: usize = 8;

/// True when `p` is a depthwise convolution these kernels cover.
pub const fn supports(p: &Conv2d) -> bool {
    let k = p.kernel_h;
    p.groups == p.in_channels
        && p.out_channels == p.in_channels
        && (k == 3 || (k == 5 && p.in_w + 4 <= PAD_MAX))
        && p.kernel_w == k
        && p.pad_h == k / 2
        && p.pad_w == k / 2
        && p.dilation_h == 1
        && p.dilation_w == 1
        && p.stride_h == p.stride_w
        && (p.stride_h == 1 || p.stride_h == 2)
}

/// Depthwise 3×3; does nothing when `supports(p)` is false (callers check).
pub fn depthwise3x3(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    run::<3>(x, w, out, p, e);
}

/// Depthwise 5×5; does nothing when `supports(p)` is false (callers check).
pub fn depthwise5x5(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    run::<5>(x, w, out, p, e);
}

fn run<const K: usize>(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected on this CPU; the function has no other requirement.
        unsafe { run_avx2::<K>(x, w, out, p, e) };
        return;
    }
    depthwise::<K>(x, w, out, p, e);
}

/// The same code compiled with 8-lane vectors: LLVM widens the blocks below.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2<const K: usize>(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    depthwise::<K>(x, w, out, p, e);
}

#[inline(always)]
fn depthwise<const K: usize>(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    let (ih, iw, oh, ow) = (p.in_h, p.in_w, p.out_h, p.out_w);
    if !supports(p) || p.kernel_h != K || iw == 0 || ow == 0 {
        return;
    }
    let planes = out.chunks_exact_mut(oh * ow).zip(x.chunks_exact(ih * iw)).take(p.batch * p.in_channels);
    for (plane_ix, (o_plane, x_plane)) in planes.enumerate() {
        let c = plane_ix % p.in_channels;
        let Some(k) = w.get(c * K * K..(c + 1) * K * K) else { return };
        let bias = e.bias.and_then(|b| b.get(c)).copied().unwrap_or(0.0);
        // Stride as a const parameter: the block loops specialise for 1 and 2.
        match p.stride_h {
            1 => plane::<1, K>(o_plane, x_plane, k, bias, e.clamp, p),
            _ => plane::<2, K>(o_plane, x_plane, k, bias, e.clamp, p),
        }
    }
}

#[inline(always)]
fn plane<const S: usize, const K: usize>(o_plane: &mut [f32], x_plane: &[f32], k: &[f32], bias: f32, clamp: Option<(f32, f32)>, p: &Conv2d) {
    let (ih, iw, ow) = (p.in_h, p.in_w, p.out_w);
    let e = Epilogue { bias: None, clamp };
    let mut pad = [[0.0f32; PAD_MAX]; K];
    for (oy, o_row) in o_plane.chunks_exact_mut(ow).enumerate() {
        // The K input rows this output row reads; `None` above or below the image.
        let rows: [Option<&[f32]>; K] = core::array::from_fn(|ky| {
            (oy * S + ky).checked_sub(K / 2).filter(|&iy| iy < ih).and_then(|iy| x_plane.get(iy * iw..(iy + 1) * iw))
        });
        if iw + K - 1 <= PAD_MAX {
            row_padded::<S, K>(o_row, rows, &mut pad, k, bias);
        } else if let (Some(k), [r0, r1, r2]) = (k.first_chunk::<9>(), rows.as_slice()) {
            // Only 3×3 gets here: `supports` keeps wide 5×5 rows out.
            row::<S>(o_row, [*r0, *r1, *r2], iw, k, bias);
        }
        if clamp.is_some() {
            o_row.iter_mut().for_each(|v| *v = e.apply(0, *v));
        }
    }
}

/// One output row through zero-bordered copies of its K input rows.
#[inline(always)]
fn row_padded<const S: usize, const K: usize>(o: &mut [f32], rows: [Option<&[f32]>; K], pad: &mut [[f32; PAD_MAX]; K], k: &[f32], bias: f32) {
    let ow = o.len();
    let mut live = [false; K];
    for ((r, p), l) in rows.iter().zip(pad.iter_mut()).zip(&mut live) {
        if let Some(r) = r {
            p[..K / 2].fill(0.0);
            p[K / 2..K / 2 + r.len()].copy_from_slice(r);
            p[K / 2 + r.len()..r.len() + K - 1].fill(0.0);
            *l = true;
        }
    }
    // Output ox reads pad[S*ox .. S*ox + K]; the last block overlaps the one before.
    let mut ox = 0;
    while ox < ow {
        if ow >= LANES {
            let at = ox.min(ow - LANES);
            let mut acc = [bias; LANES];
            for ky in (0..K).filter(|&ky| live[ky]) {
                let win = &pad[ky][at * S..at * S + (LANES - 1) * S + K];
                // Tap-major: each tap is one multiply-add over the whole block.
                for (kx, &wv) in k[ky * K..ky * K + K].iter().enumerate() {
                    for (t, acc) in acc.iter_mut().enumerate() {
                        *acc += wv * win[t * S + kx];
                    }
                }
            }
            o[at..at + LANES].copy_from_slice(&acc);
            ox = at + LANES;
        } else {
            let mut acc = bias;
            for ky in (0..K).filter(|&ky| live[ky]) {
                let x = &pad[ky][ox * S..ox * S + K];
                acc += k[ky * K..ky * K + K].iter().zip(x).fold(0.0, |s, (&w, &v)| s + w * v);
            }
            o[ox] = acc;
            ox += 1;
        }
    }
}

/// One output row: `o[ox] = bias + Σ_ky Σ_kx k[ky][kx] * r_ky[S*ox + kx - 1]`, zero outside the rows.
#[inline(always)]
fn row<const S: usize>(o: &mut [f32], rows: [Option<&[f32]>; 3], iw: usize, k: &[f32; 9], bias: f32) {
    let ow = o.len();
    let point = |ox: usize| -> f32 {
        let mut acc = bias;
        for (ky, r) in rows.iter().enumerate() {
            let Some(r) = r else { continue };
            for kx in 0..3 {
                if let Some(&v) = (ox * S + kx).checked_sub(1).and_then(|i| r.get(i)) {
                    acc += k[ky * 3 + kx] * v;
                }
            }
        }
        acc
    };
    // Interior columns 1..=last have all three taps inside the row.
    let last = if iw >= 2 { ((iw - 2) / S).min(ow.saturating_sub(1)) } else { 0 };
    if last >= LANES {
        // Blocks over 1..=last; the final block overlaps the one before instead of a scalar tail.
        let mut ox = 1;
        loop {
            let at = ox.min(last + 1 - LANES);
            let mut acc = [bias; LANES];
            for (ky, r) in rows.iter().enumerate() {
                // The taps of LANES outputs: a window whose length LLVM sees as a constant.
                let need = (LANES - 1) * S + 3;
                let Some(win) = r.and_then(|r| r.get(at * S - 1..at * S - 1 + need)) else { continue };
                let (w0, w1, w2) = (k[ky * 3], k[ky * 3 + 1], k[ky * 3 + 2]);
                for t in 0..LANES {
                    acc[t] += w0 * win[t * S] + w1 * win[t * S + 1] + w2 * win[t * S + 2];
                }
            }
            o[at..at + LANES].copy_from_slice(&acc);
            if at + LANES > last {
                break;
            }
            ox += LANES;
        }
    } else {
        o.iter_mut().enumerate().take(last + 1).skip(1).for_each(|(ox, v)| *v = point(ox));
    }
    o[0] = point(0);
    o.iter_mut().enumerate().skip((last + 1).max(1)).for_each(|(ox, v)| *v = point(ox));
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::testutil::Lcg;

    #[test]
    fn matches_the_general_convolution() {
        let mut rng = Lcg(3);
        for &(c, h, w, s) in &[(1, 1, 1, 1), (2, 5, 7, 1), (3, 8, 8, 2), (2, 7, 9, 2), (4, 3, 2, 1), (1, 2, 2, 2), (2, 112, 112, 2), (2, 14, 14, 1), (1, 3, 130, 1), (1, 4, 131, 2)] {
            let oh = (h + 2 - 3) / s + 1;
            let ow = (w + 2 - 3) / s + 1;
            let p = Conv2d {
                batch: 1, in_channels: c, in_h: h, in_w: w, out_channels: c, kernel_h: 3, kernel_w: 3,
                stride_h: s, stride_w: s, pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, groups: c, out_h: oh, out_w: ow,
            };
            let mut x = vec![0.0; c * h * w];
            let mut k = vec![0.0; c * 9];
            let mut bias = vec![0.0; c];
            rng.fill(&mut x);
            rng.fill(&mut k);
            rng.fill(&mut bias);
            let mut want = vec![0.0; c * oh * ow];
            crate::conv::conv2d(&x, &k, Some(&bias), &mut want, &p);
            let mut got: Vec<f32> = vec![f32::NAN; c * oh * ow];
            depthwise3x3(&x, &k, &mut got, &p, Epilogue { bias: Some(&bias), clamp: None });
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-5, "{c}x{h}x{w}/{s}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn five_by_five_matches_the_general_convolution() {
        let mut rng = Lcg(5);
        for &(c, h, w, s) in &[(1, 1, 1, 1), (2, 5, 7, 1), (3, 8, 8, 2), (2, 7, 9, 2), (2, 28, 28, 2), (2, 14, 14, 1), (1, 3, 2, 1)] {
            let (oh, ow) = ((h + 4 - 5) / s + 1, (w + 4 - 5) / s + 1);
            let p = Conv2d {
                batch: 1, in_channels: c, in_h: h, in_w: w, out_channels: c, kernel_h: 5, kernel_w: 5,
                stride_h: s, stride_w: s, pad_h: 2, pad_w: 2, dilation_h: 1, dilation_w: 1, groups: c, out_h: oh, out_w: ow,
            };
            let (mut x, mut k, mut bias) = (vec![0.0; c * h * w], vec![0.0; c * 25], vec![0.0; c]);
            rng.fill(&mut x);
            rng.fill(&mut k);
            rng.fill(&mut bias);
            let mut want = vec![0.0; c * oh * ow];
            crate::conv::conv2d(&x, &k, Some(&bias), &mut want, &p);
            let mut got = vec![f32::NAN; c * oh * ow];
            depthwise5x5(&x, &k, &mut got, &p, Epilogue { bias: Some(&bias), clamp: Some((-0.5, 0.5)) });
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w.clamp(-0.5, 0.5)).abs() <= 1e-5, "{c}x{h}x{w}/{s}: {g} vs {w}");
            }
        }
    }
}
