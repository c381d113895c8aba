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
            o_row.fill(0.0);
            for ky in 0..3 {
                let Some(iy) = (oy * s + ky).checked_sub(1).filter(|&iy| iy < ih) else { continue };
                let x_row = &x_plane[iy * iw..(iy + 1) * iw];
                row(o_row, x_row, [k[ky * 3], k[ky * 3 + 1], k[ky * 3 + 2]], s);
            }
            o_row.iter_mut().for_each(|v| *v = e.apply(c, *v));
        }
    }
}

/// `o[ox] += w0*x[s*ox-1] + w1*x[s*ox] + w2*x[s*ox+1]`, zero outside `x`.
#[inline(always)]
fn row(o: &mut [f32], x: &[f32], [w0, w1, w2]: [f32; 3], s: usize) {
    let (ow, iw) = (o.len(), x.len());
    // Output columns whose three taps are all inside the row.
    let first = 1;
    let last = if iw >= 2 { ((iw - 2) / s).min(ow - 1) } else { 0 };
    let tap = |ox: usize, d: isize| -> f32 {
        let i = (ox * s) as isize + d;
        if i >= 0 && (i as usize) < iw {
            x[i as usize]
        } else {
            0.0
        }
    };
    let edge = |o: &mut f32, ox: usize| *o += w0 * tap(ox, -1) + w1 * tap(ox, 0) + w2 * tap(ox, 1);
    if last < first {
        o.iter_mut().enumerate().for_each(|(ox, v)| edge(v, ox));
        return;
    }
    edge(&mut o[0], 0);
    let inner = &mut o[first..=last];
    if s == 1 {
        let (l, c, r) = (&x[first - 1..], &x[first..], &x[first + 1..]);
        inner.iter_mut().zip(l.iter().zip(c).zip(r)).for_each(|(v, ((&a, &b), &c))| *v += w0 * a + w1 * b + w2 * c);
    } else {
        let start = first * s - 1;
        inner
            .iter_mut()
            .zip(x[start..].chunks_exact(2).zip(x[start + 2..].iter().step_by(2)))
            .for_each(|(v, (ab, &c))| *v += w0 * ab[0] + w1 * ab[1] + w2 * c);
    }
    for ox in last + 1..ow {
        edge(&mut o[ox], ox);
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
