//! The patch matrix of one image, read where the image lies: row `(ic, ky, kx)`,
//! column `(oy, ox)` holds the input under that tap of that output, 0 in the
//! padding. The SIMD matrix products pack their panels of `b` straight from it,
//! so a convolution is one product per image and no patch matrix is stored.

// Targets with only the portable product (which reads `b` in place) never pack.
#![cfg_attr(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))), allow(dead_code))]

use core::mem::MaybeUninit;

use super::im2col::Conv2d;

pub struct Patches<'a> {
    /// One image, `in_channels × in_h × in_w`.
    x: &'a [f32],
    p: &'a Conv2d,
    /// `valid_cols` of the first `KX` kernel columns, worked out once.
    cols_of: [(usize, usize); KX],
}

/// Kernel columns whose valid output range is kept; wider kernels recompute it.
const KX: usize = 16;

/// Most pieces (runs within one output row) a packed row can have: one per column.
const PIECES: usize = 64;

impl<'a> Patches<'a> {
    /// `None` unless `x` holds one whole image of `p` and the product has a shape.
    pub fn new(x: &'a [f32], p: &'a Conv2d) -> Option<Self> {
        let image = p.in_channels * p.in_h * p.in_w;
        let ok = image > 0 && x.len() >= image && p.kernel_h * p.kernel_w > 0 && p.out_h * p.out_w > 0;
        let sw = p.stride_w.max(1);
        let cols_of = core::array::from_fn(|kx| valid_cols(kx * p.dilation_w, p.pad_w, sw, p.in_w, p.out_w));
        ok.then_some(Self { x: &x[..image], p, cols_of })
    }

    /// `in_channels × kernel_h × kernel_w`, the `k` of the product.
    pub fn rows(&self) -> usize {
        self.p.in_channels * self.p.kernel_h * self.p.kernel_w
    }

    /// `out_h × out_w`, the `n` of the product.
    pub fn cols(&self) -> usize {
        self.p.out_h * self.p.out_w
    }

    /// Rows `k0..k0 + kc` and columns `j0..j0 + cols` into `dst` as `kc` rows of
    /// `width` (at most 64) values, zeros past `cols`. Rows or columns past the
    /// matrix, or a `dst` too short, leave that part unwritten rather than panic.
    /// Inlined into each SIMD product so the copies use its registers.
    #[inline(always)]
    pub(crate) fn pack(&self, dst: &mut [MaybeUninit<f32>], width: usize, k0: usize, kc: usize, j0: usize, cols: usize) {
        let p = self.p;
        let (ow, taps) = (p.out_w, p.kernel_h * p.kernel_w);
        let (sh, sw) = (p.stride_h.max(1), p.stride_w.max(1));
        let width = width.min(PIECES);
        let cols = cols.min(width).min(self.cols().saturating_sub(j0));
        // The columns split into runs of one output row each: (first column, oy, ox).
        let mut pieces = [(0usize, 0usize, 0usize); PIECES + 1];
        let mut count = 0;
        let mut d = 0;
        while d < cols {
            let j = j0 + d;
            pieces[count] = (d, j / ow, j % ow);
            count += 1;
            d += (ow - j % ow).min(cols - d);
        }
        pieces[count] = (cols, 0, 0);
        let (mut ic, mut ky, mut kx) = (k0 / taps, k0 % taps / p.kernel_w, k0 % p.kernel_w);
        for row in dst.chunks_exact_mut(width).take(kc.min(self.rows().saturating_sub(k0))) {
            let plane = self.x.get(ic * p.in_h * p.in_w..).unwrap_or(&[]);
            let offset = kx * p.dilation_w;
            let (lo, hi) = match self.cols_of.get(kx) {
                Some(&r) => r,
                None => valid_cols(offset, p.pad_w, sw, p.in_w, ow),
            };
            let dy = ky * p.dilation_h;
            for w in pieces[..=count].windows(2) {
                let ((d, oy, ox0), d1) = (w[0], w[1].0);
                let len = d1 - d;
                let piece = &mut row[d..d1];
                let iy = (oy * sh + dy).checked_sub(p.pad_h).filter(|&iy| iy < p.in_h);
                let (a, b) = (lo.clamp(ox0, ox0 + len), hi.clamp(ox0, ox0 + len));
                match iy {
                    Some(iy) if a < b => {
                        let (head, rest) = piece.split_at_mut(a - ox0);
                        let (body, tail) = rest.split_at_mut(b - a);
                        zero(head);
                        zero(tail);
                        let start = iy * p.in_w + a * sw + offset - p.pad_w;
                        let src = plane.get(start..).unwrap_or(&[]);
                        if sw == 1 {
                            body.iter_mut().zip(src).for_each(|(d, &v)| _ = d.write(v));
                        } else {
                            body.iter_mut().zip(src.iter().step_by(sw)).for_each(|(d, &v)| _ = d.write(v));
                        }
                    }
                    _ => zero(piece),
                }
            }
            zero(&mut row[cols..]);
            kx += 1;
            if kx == p.kernel_w {
                kx = 0;
                ky += 1;
                if ky == p.kernel_h {
                    ky = 0;
                    ic += 1;
                }
            }
        }
    }
}

fn zero(s: &mut [MaybeUninit<f32>]) {
    s.iter_mut().for_each(|v| _ = v.write(0.0));
}

/// Output columns whose input column `ox * stride + offset - pad` lies in
/// `0..in_w`, as a half-open range (`valid_range` in im2col.rs, without the
/// divisions at stride 1).
fn valid_cols(offset: usize, pad: usize, stride: usize, in_w: usize, out_w: usize) -> (usize, usize) {
    let (lo, hi) = if stride == 1 {
        (pad.saturating_sub(offset), (in_w + pad).saturating_sub(offset))
    } else {
        (pad.saturating_sub(offset).div_ceil(stride), (in_w + pad).saturating_sub(offset).div_ceil(stride))
    };
    let (lo, hi) = (lo.min(out_w), hi.min(out_w));
    (lo, hi.max(lo))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Lcg;
    extern crate std;
    use std::vec;

    /// Every panel of the patch matrix, packed at several widths and offsets,
    /// against the matrix written out element by element.
    #[test]
    fn packs_the_patch_matrix() {
        let mut rng = Lcg(3);
        let shapes = [
            // (cin, h, w, kh, kw, s, pad, dilation)
            (2, 7, 9, 3, 3, (1, 1), (1, 1), (1, 1)),
            (3, 8, 8, 3, 3, (2, 2), (1, 1), (1, 1)),
            (1, 5, 13, 2, 4, (1, 3), (0, 2), (2, 1)),
            (2, 4, 4, 3, 3, (1, 1), (6, 6), (6, 6)),
            (1, 16, 16, 7, 7, (2, 2), (3, 3), (1, 1)),
        ];
        for &(cin, h, w, kh, kw, (sh, sw), (ph, pw), (dh, dw)) in &shapes {
            let len = |n: usize, k: usize, s: usize, pad: usize, d: usize| (n + 2 * pad - d * (k - 1) - 1) / s + 1;
            let p = Conv2d {
                batch: 1,
                in_channels: cin,
                in_h: h,
                in_w: w,
                out_channels: 1,
                kernel_h: kh,
                kernel_w: kw,
                stride_h: sh,
                stride_w: sw,
                pad_h: ph,
                pad_w: pw,
                dilation_h: dh,
                dilation_w: dw,
                groups: 1,
                out_h: len(h, kh, sh, ph, dh),
                out_w: len(w, kw, sw, pw, dw),
            };
            let mut x = vec![0.0f32; cin * h * w];
            rng.fill(&mut x);
            let m = Patches::new(&x, &p).unwrap();
            let at = |r: usize, c: usize| {
                let (ic, t) = (r / (kh * kw), r % (kh * kw));
                let (oy, ox) = (c / p.out_w, c % p.out_w);
                let iy = (oy * sh + t / kw * dh) as isize - ph as isize;
                let ix = (ox * sw + t % kw * dw) as isize - pw as isize;
                let inside = (0..h as isize).contains(&iy) && (0..w as isize).contains(&ix);
                if inside { x[(ic * h + iy as usize) * w + ix as usize] } else { 0.0 }
            };
            for width in [8, 16, 32] {
                for k0 in [0, 1, kh * kw - 1, m.rows() / 2] {
                    let kc = (m.rows() - k0).min(5);
                    for j0 in (0..m.cols()).step_by(width / 2 + 1) {
                        let cols = (m.cols() - j0).min(width);
                        let mut dst = vec![MaybeUninit::new(f32::NAN); kc * width];
                        m.pack(&mut dst, width, k0, kc, j0, cols);
                        for r in 0..kc {
                            for c in 0..width {
                                // SAFETY: initialised above.
                                let got = unsafe { dst[r * width + c].assume_init() };
                                let want = if c < cols { at(k0 + r, j0 + c) } else { 0.0 };
                                assert_eq!(got.to_bits(), want.to_bits(), "{p:?} width {width} row {} col {}", k0 + r, j0 + c);
                            }
                        }
                    }
                }
            }
        }
    }
}
