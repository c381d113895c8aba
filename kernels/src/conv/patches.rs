//! The patch matrix of one image, read where the image lies: row `(ic, ky, kx)`,
//! column `(oy, ox)` holds the input under that tap of that output, 0 in the
//! padding. The SIMD matrix products pack their panels of `b` straight from it,
//! so a convolution is one product per image and no patch matrix is stored.

// Targets with only the portable product (which reads `b` in place) never pack.
#![cfg_attr(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))), allow(dead_code))]

use core::mem::MaybeUninit;

use super::im2col::{valid_range, Conv2d};

pub struct Patches<'a> {
    /// One image, `in_channels × in_h × in_w`.
    x: &'a [f32],
    p: &'a Conv2d,
    /// `valid_range` of the first `KX` kernel columns, worked out once.
    cols_of: [(usize, usize); KX],
}

/// Kernel rows and columns whose entries are tabled; larger kernels work theirs out each time.
const KX: usize = 16;

/// Widest panel `pack` fills.
const MAX_WIDTH: usize = 64;

impl<'a> Patches<'a> {
    /// `None` unless `x` holds one whole image of `p` and the product has a shape.
    pub fn new(x: &'a [f32], p: &'a Conv2d) -> Option<Self> {
        let image = p.in_channels * p.in_h * p.in_w;
        let ok = image > 0 && x.len() >= image && p.kernel_h * p.kernel_w > 0 && p.out_h * p.out_w > 0;
        let sw = p.stride_w.max(1);
        let cols_of = core::array::from_fn(|kx| valid_range(kx * p.dilation_w, p.pad_w, sw, p.in_w, p.out_w));
        ok.then(|| Self { x: x.get(..image).unwrap_or_default(), p, cols_of })
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
    /// `width` (at most 64) values, zeros past `cols`: all of `dst[..kc * width]`
    /// is written, zeros for rows or columns past the matrix.
    /// Kept out of the products' large functions, whose registers are taken.
    #[inline(never)]
    pub(crate) fn pack(&self, dst: &mut [MaybeUninit<f32>], width: usize, k0: usize, kc: usize, j0: usize, cols: usize) {
        let p = self.p;
        let (ow, taps, plane) = (p.out_w, p.kernel_h * p.kernel_w, p.in_h * p.in_w);
        let (sh, sw) = (p.stride_h.max(1), p.stride_w.max(1));
        let width = width.min(MAX_WIDTH);
        let cols = cols.min(width).min(self.cols().saturating_sub(j0));
        let rows = kc.min(self.rows().saturating_sub(k0));
        if rows < kc {
            zero(dst.get_mut(..kc * width).unwrap_or_default());
        }
        // Input row offset of kernel row `ky` for output row `oy`, if inside.
        let y_of = |oy: usize, ky: usize| (oy * sh + ky * p.dilation_h).checked_sub(p.pad_h).filter(|&iy| iy < p.in_h).map(|iy| iy * p.in_w);
        // For kernel column `kx` over `len` outputs from `ox0`: the inside ones
        // `a..b` (relative) and the input column of the first, `a`.
        let x_of = |ox0: usize, len: usize, kx: usize| {
            let (lo, hi) = match self.cols_of.get(kx) {
                Some(&r) => r,
                None => valid_range(kx * p.dilation_w, p.pad_w, sw, p.in_w, ow),
            };
            let (a, b) = (lo.clamp(ox0, ox0 + len), hi.clamp(ox0, ox0 + len));
            // a * sw + kx * dilation >= pad wherever a < b (valid_range).
            (a - ox0, b - ox0, (a * sw + kx * p.dilation_w).saturating_sub(p.pad_w))
        };
        // Runs of columns within one output row, each with its own small tables,
        // so the loop over rows of `k` only looks entries up.
        let mut d = 0;
        while d < cols {
            let j = j0 + d;
            let (oy, ox0) = (j / ow, j % ow);
            let len = (ow - ox0).min(cols - d);
            let mut ys = [None; KX];
            ys.iter_mut().take(p.kernel_h).enumerate().for_each(|(ky, y)| *y = y_of(oy, ky));
            let mut xs = [(0, 0, 0); KX];
            xs.iter_mut().take(p.kernel_w).enumerate().for_each(|(kx, x)| *x = x_of(ox0, len, kx));
            let (mut ic, mut ky, mut kx) = (k0 / taps, k0 % taps / p.kernel_w, k0 % p.kernel_w);
            for row in dst.chunks_exact_mut(width).take(rows) {
                let piece = &mut row[d..d + len];
                let y = if ky < KX { ys[ky] } else { y_of(oy, ky) };
                let (a, b, ix) = if kx < KX { xs[kx] } else { x_of(ox0, len, kx) };
                match y {
                    Some(y) if a < b => {
                        let (head, rest) = piece.split_at_mut(a);
                        let (body, tail) = rest.split_at_mut(b - a);
                        zero(head);
                        zero(tail);
                        let src = self.x.get(ic * plane + y + ix..).unwrap_or(&[]);
                        if sw == 1 {
                            copy(body, src);
                        } else if sw == 2 {
                            copy_even(body, src);
                        } else {
                            body.iter_mut().zip(src.iter().step_by(sw)).for_each(|(d, &v)| _ = d.write(v));
                        }
                    }
                    _ => zero(piece),
                }
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
            d += len;
        }
        if cols < width {
            dst.chunks_exact_mut(width).take(rows).for_each(|row| zero(&mut row[cols..]));
        }
    }
}

/// Runs are short (a panel row is 8 to 32 values): whole groups of 8 compile
/// to single vector moves, where a plain loop would go 4 or 1 at a time.
#[inline(always)]
fn zero(s: &mut [MaybeUninit<f32>]) {
    let mut groups = s.chunks_exact_mut(8);
    groups.by_ref().for_each(|g| g.copy_from_slice(&[MaybeUninit::new(0.0); 8]));
    groups.into_remainder().iter_mut().for_each(|v| _ = v.write(0.0));
}

/// `dst` from the start of `src` (as far as both reach), 8 at a time as `zero`.
#[inline(always)]
fn copy(dst: &mut [MaybeUninit<f32>], src: &[f32]) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in d.by_ref().zip(s.by_ref()) {
        let s: [f32; 8] = s.try_into().unwrap_or_default();
        d.copy_from_slice(&s.map(MaybeUninit::new));
    }
    d.into_remainder().iter_mut().zip(s.remainder()).for_each(|(d, &v)| _ = d.write(v));
}

/// Every second value of `src` into `dst` (as far as both reach), 8 at a time.
#[inline(always)]
fn copy_even(dst: &mut [MaybeUninit<f32>], src: &[f32]) {
    let n = dst.len().min(src.len().div_ceil(2));
    let dst = &mut dst[..n];
    let whole = (src.len() / 16).min(n / 8);
    let (head, rest) = dst.split_at_mut(whole * 8);
    for (d, s) in head.chunks_exact_mut(8).zip(src.chunks_exact(16)) {
        let s: [f32; 16] = s.try_into().unwrap_or([0.0; 16]);
        d.copy_from_slice(&core::array::from_fn::<_, 8, _>(|i| MaybeUninit::new(s[2 * i])));
    }
    rest.iter_mut().zip(src.iter().skip(whole * 16).step_by(2)).for_each(|(d, &v)| _ = d.write(v));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv::im2col::tests::params;
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
            (2, 3, 40, 1, 17, (1, 2), (0, 8), (1, 1)), // wider than the tables
            (1, 20, 3, 18, 1, (1, 1), (9, 0), (1, 1)),
        ];
        for &(cin, h, w, kh, kw, (sh, sw), (ph, pw), (dh, dw)) in &shapes {
            let p = params(1, (cin, 1, 1), (h, w), (kh, kw), (sh, sw), (ph, pw), (dh, dw));
            let mut x = vec![0.0f32; cin * h * w];
            rng.fill(&mut x);
            assert!(Patches::new(&x[1..], &p).is_none(), "an image one value short");
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
