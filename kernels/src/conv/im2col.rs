//! 2-D convolution, NCHW, weight `[out_c, in_c / groups, kh, kw]`.
//!
//! Per output element ExecuTorch sums, from `0.0`, `x * w` over input channel,
//! kernel row and kernel column in that order, skips taps that fall in the
//! padding (so `0 * inf` never happens) and adds the bias last. Here each
//! output row accumulates tap by tap across the whole row, which adds the same
//! terms in the same order per element but keeps the inner loop contiguous.

use super::patches::Patches;
use crate::matmul::gemm::{gemm, gemm_patches, Epilogue};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2d {
    pub batch: usize,
    pub in_channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_channels: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_h: usize,
    pub pad_w: usize,
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub groups: usize,
    pub out_h: usize,
    pub out_w: usize,
}

/// Output positions `o` in `0..out_len` whose input coordinate
/// `o * stride + offset - pad` lies in `0..in_len`, as a half-open range.
#[inline]
pub(super) fn valid_range(
    offset: usize,
    pad: usize,
    stride: usize,
    in_len: usize,
    out_len: usize,
) -> (usize, usize) {
    // A tap whose offset stays in the padding for every output (a dilation
    // wider than the input, as DeepLab's ASPP at a low resolution) gives an empty range.
    let lo = pad.saturating_sub(offset).div_ceil(stride).min(out_len);
    let hi = (in_len + pad)
        .saturating_sub(offset)
        .div_ceil(stride)
        .min(out_len);
    (lo, hi.max(lo))
}

pub fn conv2d(x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32], p: &Conv2d) {
    let groups = p.groups.max(1);
    let (sh, sw) = (p.stride_h.max(1), p.stride_w.max(1));
    let icg = p.in_channels / groups;
    let ocg = p.out_channels / groups;
    let in_plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    let taps = p.kernel_h * p.kernel_w;
    if out_plane == 0 || p.out_w == 0 {
        return;
    }
    let planes = out
        .chunks_exact_mut(out_plane)
        .take(p.batch * p.out_channels);
    for (plane_ix, plane) in planes.enumerate() {
        let (n, oc) = (plane_ix / p.out_channels, plane_ix % p.out_channels);
        let g = oc.checked_div(ocg).unwrap_or(0);
        plane.fill(0.0);
        for icl in 0..icg {
            let ic = g * icg + icl;
            let x_plane = x.get((n * p.in_channels + ic) * in_plane..).unwrap_or(&[]);
            let w_plane = w.get((oc * icg + icl) * taps..).unwrap_or(&[]);
            accumulate_plane(plane, x_plane, w_plane, p, sh, sw);
        }
        if let Some(&b) = bias.and_then(|b| b.get(oc)) {
            plane.iter_mut().for_each(|o| *o += b);
        }
    }
}

/// `conv2d` followed by the fused epilogue's clamp (its bias is `bias` here).
pub fn conv2d_act(x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32], p: &Conv2d, clamp: Option<(f32, f32)>) {
    conv2d(x, w, bias, out, p);
    let e = Epilogue { bias: None, clamp, residual: None };
    if clamp.is_some() {
        out.iter_mut().for_each(|v| *v = e.apply(0, *v));
    }
}

/// A 1×1 convolution, stride 1, no padding, one group: per image, the matrix
/// product `w[cout, cin] @ x[cin, h*w]`.
#[allow(clippy::too_many_arguments)]
pub fn pointwise(x: &[f32], w: &[f32], out: &mut [f32], batch: usize, cin: usize, cout: usize, hw: usize, e: Epilogue<'_>) {
    let (xs, os) = (cin * hw, cout * hw);
    if xs == 0 || os == 0 {
        return;
    }
    for (i, (o, xb)) in out.chunks_exact_mut(os).zip(x.chunks_exact(xs)).take(batch).enumerate() {
        // Each image adds its own part of the residual.
        let residual = e.residual.map(|r| r.get(i * os..).unwrap_or(&[]));
        gemm(o, w, xb, cout, cin, hw, Epilogue { residual, ..e });
    }
}

/// A one-group convolution as matrix products, `w[cout, cin*kh*kw]` times the
/// patches. Where a SIMD product runs, it packs the patches straight from the
/// image, one product per image, and `scratch` goes unused; the portable product
/// goes one output row at a time through `scratch` (`conv2d_rows`).
pub fn conv2d_im2col(x: &[f32], w: &[f32], out: &mut [f32], scratch: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    let (image, out_image) = (p.in_channels * p.in_h * p.in_w, p.out_channels * p.out_h * p.out_w);
    if image == 0 || out_image == 0 || x.len() < p.batch * image || out.len() < p.batch * out_image {
        return;
    }
    let images = out.chunks_exact_mut(out_image).zip(x.chunks_exact(image));
    for (o, xb) in images.take(p.batch) {
        let Some(patches) = Patches::new(xb, p) else { return };
        // Codegen never fuses a residual into this kernel (see `Epilogue`).
        if !gemm_patches(o, w, &patches, p.out_channels, Epilogue { residual: None, ..e }) {
            conv2d_rows(x, w, out, scratch, p, e);
            return;
        }
    }
}

avx2_clone! {
    /// `conv2d_im2col` one output row at a time: the row's patches are gathered
    /// into `scratch` (`cin*kh*kw × out_w`), multiplied by `w` into the rest of
    /// `scratch` (`cout × out_w`), then copied to each output channel's row.
    /// Scratch stays a few rows, not an image. The AVX2 copy vectorises the gathers and copies.
    fn conv2d_rows(x: &[f32], w: &[f32], out: &mut [f32], scratch: &mut [f32], p: &Conv2d, e: Epilogue<'_>) => im2col
}

#[inline(always)]
fn im2col(x: &[f32], w: &[f32], out: &mut [f32], scratch: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    let (plane, out_plane, ow) = (p.in_h * p.in_w, p.out_h * p.out_w, p.out_w);
    let k = p.in_channels * p.kernel_h * p.kernel_w;
    let (sh, sw) = (p.stride_h.max(1), p.stride_w.max(1));
    if plane == 0 || out_plane == 0 || scratch.len() < im2col_scratch(p) {
        return;
    }
    let Some((cols, tmp)) = scratch.split_at_mut_checked(k * ow) else { return };
    let images = out.chunks_exact_mut(p.out_channels * out_plane).zip(x.chunks_exact(p.in_channels * plane));
    for (o, xb) in images.take(p.batch) {
        for oy in 0..p.out_h {
            let mut rows = cols.chunks_exact_mut(ow);
            for x_plane in xb.chunks_exact(plane).take(p.in_channels) {
                for ky in 0..p.kernel_h {
                    for kx in 0..p.kernel_w {
                        let Some(row) = rows.next() else { return };
                        gather(row, x_plane, p, oy, ky, kx, sh, sw);
                    }
                }
            }
            gemm(tmp, w, cols, p.out_channels, k, ow, e);
            for (o_plane, t) in o.chunks_exact_mut(out_plane).zip(tmp.chunks_exact(ow)) {
                if let Some(row) = o_plane.get_mut(oy * ow..(oy + 1) * ow) {
                    row.copy_from_slice(t);
                }
            }
        }
    }
}

/// Scratch elements `conv2d_im2col` needs for `p`.
pub const fn im2col_scratch(p: &Conv2d) -> usize {
    (p.in_channels * p.kernel_h * p.kernel_w + p.out_channels) * p.out_w
}

/// Patches of output row `oy` for tap (ky, kx): one value per output column, 0 in the padding.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gather(r: &mut [f32], x: &[f32], p: &Conv2d, oy: usize, ky: usize, kx: usize, sh: usize, sw: usize) {
    let offset = kx * p.dilation_w;
    let (lo, hi) = valid_range(offset, p.pad_w, sw, p.in_w, p.out_w);
    let iy = (oy * sh + ky * p.dilation_h).checked_sub(p.pad_h).filter(|&iy| iy < p.in_h);
    let Some(iy) = iy.filter(|_| lo < hi) else {
        r.fill(0.0);
        return;
    };
    r[..lo].fill(0.0);
    r[hi..].fill(0.0);
    let start = iy * p.in_w + lo * sw + offset - p.pad_w;
    let src = x.get(start..).unwrap_or(&[]);
    let dst = &mut r[lo..hi];
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if crate::cpu::simd128() && super::simd128::gather(dst, src, sw) {
        return;
    }
    match (sw, dst.split_last_mut()) {
        // Stride 2 as pairs, which vectorises; the last value may have no partner.
        (2, Some((last, body))) => {
            body.iter_mut().zip(src.chunks_exact(2)).for_each(|(d, c)| *d = c[0]);
            if let Some(&v) = src.get(2 * body.len()) {
                *last = v;
            }
        }
        _ => dst.iter_mut().zip(src.iter().step_by(sw)).for_each(|(d, &v)| *d = v),
    }
}

/// Adds one input channel's contribution to one output plane.
fn accumulate_plane(
    plane: &mut [f32],
    x_plane: &[f32],
    w_plane: &[f32],
    p: &Conv2d,
    sh: usize,
    sw: usize,
) {
    let in_w = p.in_w;
    for (oy, out_row) in plane.chunks_exact_mut(p.out_w).enumerate() {
        for ky in 0..p.kernel_h {
            let Some(iy) = (oy * sh + ky * p.dilation_h).checked_sub(p.pad_h) else {
                continue;
            };
            if iy >= p.in_h {
                continue;
            }
            let x_row = x_plane.get(iy * in_w..).unwrap_or(&[]);
            let x_row = &x_row[..in_w.min(x_row.len())];
            for kx in 0..p.kernel_w {
                let Some(&wv) = w_plane.get(ky * p.kernel_w + kx) else {
                    return;
                };
                let offset = kx * p.dilation_w;
                let (lo, hi) = valid_range(offset, p.pad_w, sw, in_w, p.out_w);
                if lo == hi {
                    continue;
                }
                let start = lo * sw + offset - p.pad_w;
                let xs = x_row.get(start..).unwrap_or(&[]);
                let outs = &mut out_row[lo..hi];
                if sw == 1 {
                    outs.iter_mut().zip(xs).for_each(|(o, &v)| *o += v * wv);
                } else {
                    outs.iter_mut()
                        .zip(xs.iter().step_by(sw))
                        .for_each(|(o, &v)| *o += v * wv);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testutil::{each_path, Lcg};
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    fn out_len(len: usize, k: usize, s: usize, pad: usize, d: usize) -> usize {
        (len + 2 * pad - d * (k - 1) - 1) / s + 1
    }

    /// Straightforward loops in ExecuTorch's accumulation order.
    fn naive(x: &[f32], w: &[f32], bias: Option<&[f32]>, p: &Conv2d) -> Vec<f32> {
        let mut out = vec![0.0f32; p.batch * p.out_channels * p.out_h * p.out_w];
        let icg = p.in_channels / p.groups;
        let ocg = p.out_channels / p.groups;
        for n in 0..p.batch {
            for oc in 0..p.out_channels {
                let g = oc / ocg;
                for oy in 0..p.out_h {
                    for ox in 0..p.out_w {
                        let mut acc = 0.0f32;
                        for icl in 0..icg {
                            let ic = g * icg + icl;
                            for ky in 0..p.kernel_h {
                                let iy = (oy * p.stride_h + ky * p.dilation_h) as isize
                                    - p.pad_h as isize;
                                if iy < 0 || iy >= p.in_h as isize {
                                    continue;
                                }
                                for kx in 0..p.kernel_w {
                                    let ix = (ox * p.stride_w + kx * p.dilation_w) as isize
                                        - p.pad_w as isize;
                                    if ix < 0 || ix >= p.in_w as isize {
                                        continue;
                                    }
                                    let xi = ((n * p.in_channels + ic) * p.in_h + iy as usize)
                                        * p.in_w
                                        + ix as usize;
                                    let wi = ((oc * icg + icl) * p.kernel_h + ky) * p.kernel_w + kx;
                                    acc += x[xi] * w[wi];
                                }
                            }
                        }
                        if let Some(b) = bias {
                            acc += b[oc];
                        }
                        out[((n * p.out_channels + oc) * p.out_h + oy) * p.out_w + ox] = acc;
                    }
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn params(
        batch: usize,
        (ic, oc, groups): (usize, usize, usize),
        (h, w): (usize, usize),
        (kh, kw): (usize, usize),
        (sh, sw): (usize, usize),
        (ph, pw): (usize, usize),
        (dh, dw): (usize, usize),
    ) -> Conv2d {
        Conv2d {
            batch,
            in_channels: ic,
            in_h: h,
            in_w: w,
            out_channels: oc,
            kernel_h: kh,
            kernel_w: kw,
            stride_h: sh,
            stride_w: sw,
            pad_h: ph,
            pad_w: pw,
            dilation_h: dh,
            dilation_w: dw,
            groups,
            out_h: out_len(h, kh, sh, ph, dh),
            out_w: out_len(w, kw, sw, pw, dw),
        }
    }

    #[test]
    fn identity_kernel_with_bias() {
        let p = params(1, (1, 1, 1), (2, 3), (1, 1), (1, 1), (0, 0), (1, 1));
        let x = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let mut out = [0.0f32; 6];
        conv2d(&x, &[2.0], Some(&[0.5]), &mut out, &p);
        assert_eq!(out, [2.5, 4.5, 6.5, 8.5, 10.5, 12.5]);
    }

    #[test]
    fn box_filter_with_padding() {
        // 3x3 ones over a 3x3 input of ones with pad 1: counts of in-bounds taps.
        let p = params(1, (1, 1, 1), (3, 3), (3, 3), (1, 1), (1, 1), (1, 1));
        let mut out = [0.0f32; 9];
        conv2d(&[1.0; 9], &[1.0; 9], None, &mut out, &p);
        assert_eq!(out, [4.0, 6.0, 4.0, 6.0, 9.0, 6.0, 4.0, 6.0, 4.0]);
    }

    #[test]
    fn matches_naive_on_many_shapes() {
        let mut rng = Lcg(42);
        let cases = [
            params(1, (3, 4, 1), (7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
            params(2, (4, 6, 2), (9, 8), (3, 2), (2, 3), (1, 2), (1, 1)),
            params(1, (6, 6, 6), (8, 8), (3, 3), (1, 1), (1, 1), (1, 1)), // depthwise
            params(1, (4, 8, 4), (10, 9), (3, 3), (2, 2), (2, 1), (2, 3)), // depthwise multiplier 2
            params(2, (2, 3, 1), (11, 7), (2, 3), (3, 1), (0, 3), (3, 2)),
            params(1, (3, 2, 1), (5, 5), (5, 5), (1, 1), (4, 4), (1, 1)), // pad as large as the kernel
            params(1, (2, 2, 1), (1, 12), (1, 4), (1, 2), (0, 2), (1, 1)), // conv1d shape
            params(1, (4, 4, 4), (4, 4), (3, 3), (1, 1), (12, 12), (12, 12)), // dilation past the input
        ];
        for p in &cases {
            let mut x = vec![0.0f32; p.batch * p.in_channels * p.in_h * p.in_w];
            let mut w =
                vec![0.0f32; p.out_channels * (p.in_channels / p.groups) * p.kernel_h * p.kernel_w];
            let mut b = vec![0.0f32; p.out_channels];
            rng.fill(&mut x);
            rng.fill(&mut w);
            rng.fill(&mut b);
            let mut out = vec![f32::NAN; p.batch * p.out_channels * p.out_h * p.out_w];
            conv2d(&x, &w, Some(&b), &mut out, p);
            assert_eq!(out, naive(&x, &w, Some(&b), p), "{p:?}");
            conv2d(&x, &w, None, &mut out, p);
            assert_eq!(out, naive(&x, &w, None, p), "{p:?}");
        }
    }

    #[test]
    fn im2col_and_pointwise_match_naive() {
        let mut rng = Lcg(9);
        let cases = [
            params(1, (3, 4, 1), (7, 6), (3, 3), (1, 1), (1, 1), (1, 1)),
            params(2, (4, 6, 1), (9, 8), (3, 2), (2, 3), (1, 2), (1, 1)),
            params(1, (3, 32, 1), (16, 16), (3, 3), (2, 2), (1, 1), (1, 1)),
            params(2, (2, 3, 1), (11, 7), (2, 3), (3, 1), (0, 3), (3, 2)),
            params(1, (5, 7, 1), (6, 5), (1, 1), (1, 1), (0, 0), (1, 1)),
            params(1, (3, 5, 1), (15, 13), (3, 3), (2, 2), (1, 1), (1, 1)),
            params(1, (2, 3, 1), (14, 15), (3, 3), (2, 2), (0, 0), (1, 1)),
            params(1, (3, 4, 1), (4, 4), (3, 3), (1, 1), (12, 12), (12, 12)), // dilation past the input
            params(1, (2, 3, 1), (5, 3), (3, 3), (1, 1), (6, 6), (6, 6)),
            // Two blocks of k (288 > 256) and of n (120 > 64), a short tile of rows.
            params(1, (32, 13, 1), (10, 12), (3, 3), (1, 1), (1, 1), (1, 1)),
            params(2, (30, 20, 1), (9, 17), (3, 3), (2, 2), (1, 1), (2, 1)),
            params(1, (3, 8, 1), (23, 23), (7, 7), (2, 2), (3, 3), (1, 1)), // a ResNet stem
            // A short k over more than 64 columns (the GEMMs' wide blocks for a short k).
            params(1, (3, 8, 1), (16, 16), (3, 3), (1, 1), (1, 1), (1, 1)),
            params(1, (2, 5, 1), (20, 30), (3, 3), (1, 1), (1, 1), (1, 1)),
        ];
        for p in &cases {
            let mut x = vec![0.0f32; p.batch * p.in_channels * p.in_h * p.in_w];
            let mut w = vec![0.0f32; p.out_channels * p.in_channels * p.kernel_h * p.kernel_w];
            let mut b = vec![0.0f32; p.out_channels];
            rng.fill(&mut x);
            rng.fill(&mut w);
            rng.fill(&mut b);
            let want = naive(&x, &w, Some(&b), p);
            let e = Epilogue { bias: Some(&b), clamp: None, residual: None };
            each_path(|path| {
                let mut out = vec![f32::NAN; want.len()];
                let mut cols = vec![f32::NAN; im2col_scratch(p)];
                conv2d_im2col(&x, &w, &mut out, &mut cols, p, e);
                for (g, w) in out.iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-5, "{path} im2col {p:?}: {g} vs {w}");
                }
                if p.kernel_h == 1 && p.kernel_w == 1 {
                    let hw = p.in_h * p.in_w;
                    pointwise(&x, &w, &mut out, p.batch, p.in_channels, p.out_channels, hw, e);
                    for (g, w) in out.iter().zip(&want) {
                        assert!((g - w).abs() <= 1e-5, "{path} pointwise {p:?}: {g} vs {w}");
                    }
                }
            });
        }
    }

    #[test]
    fn padded_taps_are_skipped_not_multiplied() {
        // An infinite weight on a tap that only ever sees padding must not produce NaN.
        let p = params(1, (1, 1, 1), (1, 1), (1, 3), (1, 1), (0, 1), (1, 1));
        let mut out = [0.0f32; 1];
        conv2d(
            &[2.0],
            &[f32::INFINITY, 3.0, f32::INFINITY],
            None,
            &mut out,
            &p,
        );
        assert_eq!(out, [6.0]);
    }
}
