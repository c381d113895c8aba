//! 3×3 depthwise convolution (one filter per channel), padding 1, stride 1 or 2,
//! NCHW, with the bias-and-clamp epilogue fused. The interior of each row is a
//! straight slice expression that LLVM vectorizes; only the edges are special.

use crate::conv::Conv2d;
use crate::gemm::Epilogue;

/// True when `p` is a depthwise 3×3 convolution this kernel covers.
pub const fn supports(p: &Conv2d) -> bool {
    p.groups == p.in_channels
        && p.out_channels == p.in_channels
        && p.kernel_h == 3
        && p.kernel_w == 3
        && p.pad_h == 1
        && p.pad_w == 1
        && p.dilation_h == 1
        && p.dilation_w == 1
        && p.stride_h == p.stride_w
        && (p.stride_h == 1 || p.stride_h == 2)
}

/// Depthwise 3×3; falls back to nothing when `supports(p)` is false (callers check).
pub fn depthwise3x3(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    let (ih, iw, oh, ow) = (p.in_h, p.in_w, p.out_h, p.out_w);
    if !supports(p) || iw == 0 || ow == 0 {
        return;
    }
    let s = p.stride_h;
    let planes = out.chunks_exact_mut(oh * ow).zip(x.chunks_exact(ih * iw)).take(p.batch * p.in_channels);
    for (plane_ix, (o_plane, x_plane)) in planes.enumerate() {
        let c = plane_ix % p.in_channels;
        let Some(k) = w.get(c * 9..c * 9 + 9) else { return };
        for (oy, o_row) in o_plane.chunks_exact_mut(ow).enumerate() {
            // The three input rows this output row reads; `None` above or below the image.
            let rows: [Option<&[f32]>; 3] = core::array::from_fn(|ky| {
                (oy * s + ky).checked_sub(1).filter(|&iy| iy < ih).map(|iy| &x_plane[iy * iw..(iy + 1) * iw])
            });
            row(o_row, rows, k, s);
            o_row.iter_mut().for_each(|v| *v = e.apply(c, *v));
        }
    }
}

/// Lanes per block: fixed-size arrays let LLVM keep a block in vector registers.
const LANES: usize = 8;

/// One output row: `o[ox] = Σ_ky w[ky][0]*r[s*ox-1] + w[ky][1]*r[s*ox] + w[ky][2]*r[s*ox+1]`,
/// zero outside the rows.
#[inline(always)]
fn row(o: &mut [f32], rows: [Option<&[f32]>; 3], k: &[f32], s: usize) {
    let ow = o.len();
    let iw = rows.iter().flatten().map(|r| r.len()).next().unwrap_or(0);
    let tap = |r: &[f32], i: isize| if i >= 0 && (i as usize) < r.len() { r[i as usize] } else { 0.0 };
    let point = |ox: usize| -> f32 {
        let mut acc = 0.0;
        for (ky, r) in rows.iter().enumerate() {
            if let Some(r) = r {
                let i = (ox * s) as isize;
                acc += k[ky * 3] * tap(r, i - 1) + k[ky * 3 + 1] * tap(r, i) + k[ky * 3 + 2] * tap(r, i + 1);
            }
        }
        acc
    };
    // Interior columns: all three taps inside the row. Blocks of LANES there.
    let last = if iw >= 2 { ((iw - 2) / s).min(ow.saturating_sub(1)) } else { 0 };
    let mut ox = 0;
    if ow > 0 {
        o[0] = point(0);
        ox = 1;
    }
    while ox + LANES <= last + 1 {
        let mut acc = [0.0f32; LANES];
        for (ky, r) in rows.iter().enumerate() {
            let Some(r) = r else { continue };
            let (w0, w1, w2) = (k[ky * 3], k[ky * 3 + 1], k[ky * 3 + 2]);
            let start = ox * s - 1;
            if s == 1 {
                if let Some(win) = r.get(start..start + LANES + 2) {
                    for t in 0..LANES {
                        acc[t] += w0 * win[t] + w1 * win[t + 1] + w2 * win[t + 2];
                    }
                }
            } else if let Some(win) = r.get(start..start + 2 * LANES + 1) {
                for t in 0..LANES {
                    acc[t] += w0 * win[2 * t] + w1 * win[2 * t + 1] + w2 * win[2 * t + 2];
                }
            }
        }
        o[ox..ox + LANES].copy_from_slice(&acc);
        ox += LANES;
    }
    // The rest of the interior, one column at a time but without edge checks.
    while ox <= last {
        let mut acc = 0.0;
        for (ky, r) in rows.iter().enumerate() {
            if let Some(win) = r.and_then(|r| r.get(ox * s - 1..ox * s + 2)) {
                acc += k[ky * 3] * win[0] + k[ky * 3 + 1] * win[1] + k[ky * 3 + 2] * win[2];
            }
        }
        o[ox] = acc;
        ox += 1;
    }
    while ox < ow {
        o[ox] = point(ox);
        ox += 1;
    }
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
        for &(c, h, w, s) in &[(1, 1, 1, 1), (2, 5, 7, 1), (3, 8, 8, 2), (2, 7, 9, 2), (4, 3, 2, 1), (1, 2, 2, 2), (2, 112, 112, 2), (2, 14, 14, 1)] {
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
}
