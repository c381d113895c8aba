//! 5×5 depthwise convolution (mobilenet_v3's), padding 2, stride 1 or 2, NCHW,
//! rows up to `PAD_MAX - 4` wide, bias and clamp fused. Each output row reads
//! five zero-bordered row copies, so no tap needs an edge check.

use crate::conv::Conv2d;
use crate::gemm::Epilogue;

/// Widest padded row: the stack holds five of them.
const PAD_MAX: usize = 256;
const LANES: usize = 8;

/// True when `p` is a depthwise 5×5 convolution this kernel covers.
pub const fn supports(p: &Conv2d) -> bool {
    p.groups == p.in_channels
        && p.out_channels == p.in_channels
        && p.kernel_h == 5
        && p.kernel_w == 5
        && p.pad_h == 2
        && p.pad_w == 2
        && p.dilation_h == 1
        && p.dilation_w == 1
        && p.stride_h == p.stride_w
        && (p.stride_h == 1 || p.stride_h == 2)
        && p.in_w + 4 <= PAD_MAX
}

/// Depthwise 5×5; does nothing when `supports(p)` is false (callers check).
pub fn depthwise5x5(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected on this CPU; the function has no other requirement.
        unsafe { depthwise_avx2(x, w, out, p, e) };
        return;
    }
    depthwise(x, w, out, p, e);
}

/// The same code compiled with 8-lane vectors.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[target_feature(enable = "avx2")]
unsafe fn depthwise_avx2(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    depthwise(x, w, out, p, e);
}

#[inline(always)]
fn depthwise(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    let (ih, iw, oh, ow) = (p.in_h, p.in_w, p.out_h, p.out_w);
    if !supports(p) || iw == 0 || ow == 0 {
        return;
    }
    let planes = out.chunks_exact_mut(oh * ow).zip(x.chunks_exact(ih * iw)).take(p.batch * p.in_channels);
    for (plane_ix, (o_plane, x_plane)) in planes.enumerate() {
        let c = plane_ix % p.in_channels;
        let Some(k) = w.get(c * 25..c * 25 + 25).and_then(|k| k.first_chunk::<25>()) else { return };
        let bias = e.bias.and_then(|b| b.get(c)).copied().unwrap_or(0.0);
        match p.stride_h {
            1 => plane::<1>(o_plane, x_plane, k, bias, e.clamp, p),
            _ => plane::<2>(o_plane, x_plane, k, bias, e.clamp, p),
        }
    }
}

#[inline(always)]
fn plane<const S: usize>(o_plane: &mut [f32], x_plane: &[f32], k: &[f32; 25], bias: f32, clamp: Option<(f32, f32)>, p: &Conv2d) {
    let (ih, iw, ow) = (p.in_h, p.in_w, p.out_w);
    let e = Epilogue { bias: None, clamp };
    let mut pad = [[0.0f32; PAD_MAX]; 5];
    for (oy, o) in o_plane.chunks_exact_mut(ow).enumerate() {
        let mut live = [false; 5];
        for (ky, (p, l)) in pad.iter_mut().zip(&mut live).enumerate() {
            let row = (oy * S + ky).checked_sub(2).filter(|&iy| iy < ih).and_then(|iy| x_plane.get(iy * iw..(iy + 1) * iw));
            if let Some(r) = row {
                p[..2].fill(0.0);
                p[2..2 + iw].copy_from_slice(r);
                p[2 + iw..4 + iw].fill(0.0);
                *l = true;
            }
        }
        // Output ox reads pad[S*ox ..= S*ox + 4]; the last block overlaps the one before.
        let mut ox = 0;
        while ox < ow {
            if ow >= LANES {
                let at = ox.min(ow - LANES);
                let mut acc = [bias; LANES];
                for ky in (0..5).filter(|&ky| live[ky]) {
                    let win = &pad[ky][at * S..at * S + (LANES - 1) * S + 5];
                    let kr = &k[ky * 5..ky * 5 + 5];
                    for t in 0..LANES {
                        let x = &win[t * S..t * S + 5];
                        acc[t] += kr[0] * x[0] + kr[1] * x[1] + kr[2] * x[2] + kr[3] * x[3] + kr[4] * x[4];
                    }
                }
                o[at..at + LANES].copy_from_slice(&acc);
                ox = at + LANES;
            } else {
                let mut acc = bias;
                for ky in (0..5).filter(|&ky| live[ky]) {
                    let x = &pad[ky][ox * S..ox * S + 5];
                    acc += (0..5).map(|kx| k[ky * 5 + kx] * x[kx]).sum::<f32>();
                }
                o[ox] = acc;
                ox += 1;
            }
        }
        if clamp.is_some() {
            o.iter_mut().for_each(|v| *v = e.apply(0, *v));
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;

    use super::*;
    use crate::testutil::Lcg;

    #[test]
    fn matches_the_general_convolution() {
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
