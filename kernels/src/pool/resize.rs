//! Bilinear resizing of NCHW planes, with ExecuTorch's index and weight
//! arithmetic (in f32) so results match its portable kernel.

/// One output axis: for each output index, the two source indices and their weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Axis {
    pub in_len: usize,
    pub out_len: usize,
    /// Source step per output step: `(in - 1) / (out - 1)` with aligned
    /// corners, else `1 / scale`.
    pub ratio: f32,
    pub align_corners: bool,
}

impl Axis {
    #[inline]
    fn taps(&self, o: usize) -> (usize, usize, f32, f32) {
        if self.in_len == self.out_len {
            return (o, o, 1.0, 0.0);
        }
        let src = if self.align_corners {
            self.ratio * o as f32
        } else {
            (self.ratio * (o as f32 + 0.5) - 0.5).max(0.0)
        };
        let last = self.in_len.saturating_sub(1);
        let i0 = (libm::floorf(src) as usize).min(last);
        let l1 = (src - i0 as f32).clamp(0.0, 1.0);
        let i1 = if i0 < last { i0 + 1 } else { i0 };
        (i0, i1, 1.0 - l1, l1)
    }
}

/// `planes` planes of `h.in_len × w.in_len` resized to `h.out_len × w.out_len`.
pub fn bilinear(x: &[f32], out: &mut [f32], planes: usize, h: &Axis, w: &Axis) {
    let (in_plane, out_plane) = (h.in_len * w.in_len, h.out_len * w.out_len);
    if in_plane == 0 || out_plane == 0 {
        return;
    }
    let pairs = x.chunks_exact(in_plane).zip(out.chunks_exact_mut(out_plane));
    for (src, dst) in pairs.take(planes) {
        for (oy, row) in dst.chunks_exact_mut(w.out_len).enumerate() {
            let (y0, y1, wy0, wy1) = h.taps(oy);
            let (r0, r1) = (src.get(y0 * w.in_len..), src.get(y1 * w.in_len..));
            let (Some(r0), Some(r1)) = (r0, r1) else { continue };
            for (ox, o) in row.iter_mut().enumerate() {
                let (x0, x1, wx0, wx1) = w.taps(ox);
                let at = |r: &[f32], i: usize| r.get(i).copied().unwrap_or(0.0);
                let top = at(r0, x0) * wx0 + at(r0, x1) * wx1;
                let bottom = at(r1, x0) * wx0 + at(r1, x1) * wx1;
                *o = top * wy0 + bottom * wy1;
            }
        }
    }
}

/// Nearest-neighbour resizing of `planes` planes `[ih, iw]` to `[oh, ow]`:
/// source row `min(floor(o * ratio), ih - 1)` in f32, as ExecuTorch (and
/// OpenCV's INTER_NEAREST) index.
#[allow(clippy::too_many_arguments)]
pub fn nearest<T: Copy>(x: &[T], out: &mut [T], planes: usize, ih: usize, iw: usize, oh: usize, ow: usize, rh: f32, rw: f32) {
    let src = |o: usize, ratio: f32, len: usize| (libm::floorf(o as f32 * ratio) as usize).min(len.saturating_sub(1));
    for p in 0..planes {
        for y in 0..oh {
            let sy = src(y, rh, ih);
            for xo in 0..ow {
                let sx = src(xo, rw, iw);
                if let (Some(&v), Some(o)) = (x.get(p * ih * iw + sy * iw + sx), out.get_mut(p * oh * ow + y * ow + xo)) {
                    *o = v;
                }
            }
        }
    }
}

/// One output index's antialiased window over an input axis, as ExecuTorch
/// computes it in f32: `[min, max)`, a triangle filter stretched by `scale`
/// when downsampling, and the weights' total (or one fallback tap).
struct AaWindow {
    min: usize,
    max: usize,
    fallback: Option<usize>,
    center: f32,
    invscale: f32,
    total: f32,
}

fn triangle(x: f32) -> f32 {
    let x = x.abs();
    if x < 1.0 {
        1.0 - x
    } else {
        0.0
    }
}

fn aa_window(o: usize, scale: f32, len: usize) -> AaWindow {
    let center = scale * (o as f32 + 0.5);
    let support = if scale >= 1.0 { scale } else { 1.0 };
    let invscale = if scale >= 1.0 { 1.0 / scale } else { 1.0 };
    let min = ((center - support + 0.5) as i64).max(0) as usize;
    let max = ((center + support + 0.5) as i64).min(len as i64).max(0) as usize;
    let fallback = || {
        let f = (center as i64).min(len as i64 - 1).max(0) as usize;
        AaWindow { min: f, max: f + 1, fallback: Some(f), center, invscale, total: 1.0 }
    };
    if max <= min {
        return fallback();
    }
    let total = (min..max).fold(0.0f32, |t, x| t + triangle((x as f32 - center + 0.5) * invscale));
    if total <= 0.0 {
        return fallback();
    }
    AaWindow { min, max, fallback: None, center, invscale, total }
}

fn aa_weight(w: &AaWindow, i: usize) -> f32 {
    match w.fallback {
        Some(f) => f32::from(u8::from(i == f)),
        None => triangle((i as f32 - w.center + 0.5) * w.invscale) / w.total,
    }
}

/// `_upsample_bilinear2d_aa` of `planes` planes `[ih, iw]` to `[oh, ow]`;
/// `scale` is ExecuTorch's source step per output step along H and W.
#[allow(clippy::too_many_arguments)]
pub fn bilinear_aa(x: &[f32], out: &mut [f32], planes: usize, ih: usize, iw: usize, oh: usize, ow: usize, scale: [f32; 2]) {
    for y in 0..oh {
        let hw = aa_window(y, scale[0], ih);
        for xo in 0..ow {
            let ww = aa_window(xo, scale[1], iw);
            for p in 0..planes {
                let mut v = 0.0f32;
                for r in hw.min..hw.max {
                    let h = aa_weight(&hw, r);
                    for c in ww.min..ww.max {
                        v += x.get(p * ih * iw + r * iw + c).copied().unwrap_or(0.0) * h * aa_weight(&ww, c);
                    }
                }
                if let Some(o) = out.get_mut(p * oh * ow + y * ow + xo) {
                    *o = v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubling_interpolates_between_neighbours() {
        let axis = |align_corners, ratio| Axis { in_len: 2, out_len: 4, ratio, align_corners };
        let mut out = [0.0f32; 16];
        // Half-pixel centres: 0, 0.25, 0.75, 1 along each axis.
        bilinear(&[0.0, 1.0, 2.0, 3.0], &mut out, 1, &axis(false, 0.5), &axis(false, 0.5));
        assert_eq!(out[..4], [0.0, 0.25, 0.75, 1.0]);
        assert_eq!(out[12..], [2.0, 2.25, 2.75, 3.0]);
        // Aligned corners: 0, 1/3, 2/3, 1.
        bilinear(&[0.0, 3.0, 3.0, 6.0], &mut out, 1, &axis(true, 1.0 / 3.0), &axis(true, 1.0 / 3.0));
        assert_eq!(out[..4], [0.0, 1.0, 2.0, 3.0]);
    }
}
