//! 3×3 convolutions with stride 1 and padding 1 as Winograd's F(2×2, 3×3): each
//! 2×2 block of outputs (a tile) takes 16 products per channel pair instead of 36.
//! A tile's 4×4 inputs go to `Bᵀ d B`, the weights to `G g Gᵀ` (at codegen time,
//! `[16, cout, cin]`), each of the 16 positions is one matrix product
//! `[cout × cin] · [cin × tiles]`, and `Aᵀ m A` gives the 2×2 outputs back. Tiles
//! go in blocks of whole rows, so a block's transformed inputs and products stay
//! in cache. Each row of tiles has one more, past the right edge, so the tiles
//! of a block are evenly spaced in its rows of input: every transform step is one
//! long loop over the block, and the extra tiles' outputs are dropped.
//! The sums are reassociated (as by any other order of the same products): results
//! differ from a direct convolution by rounding, and a NaN reaches the outputs it
//! would reach directly; an infinite input can give NaN where the direct sum is ±inf.

use super::im2col::Conv2d;
use crate::matmul::gemm::{gemm, Epilogue};

/// Tiles per block times `cin + cout`: with 16 positions, 2 MiB of f32.
const BUDGET: usize = 1 << 15;

/// True for the convolutions this kernel computes: one group, 3×3, stride 1,
/// padding 1, no dilation, output as large as the input.
pub fn supports(p: &Conv2d) -> bool {
    let one = |a: usize, b: usize| a == 1 && b == 1;
    p.groups == 1
        && (p.kernel_h, p.kernel_w) == (3, 3)
        && one(p.stride_h, p.stride_w)
        && one(p.pad_h, p.pad_w)
        && one(p.dilation_h, p.dilation_w)
        && (p.out_h, p.out_w) == (p.in_h, p.in_w)
        && p.in_h > 0
        && p.in_w > 0
        && p.in_channels > 0
        && p.out_channels > 0
}

/// Tiles per block: within `BUDGET`, and about half the image's tiles at most
/// (so the blocks take at most twice the input and output), at least 16.
pub const fn block(cin: usize, cout: usize, tiles: usize) -> usize {
    let cap = BUDGET / (cin + cout) / 16 * 16;
    let half = tiles.div_ceil(2).div_ceil(16) * 16;
    let b = if cap < half { cap } else { half };
    let b = if b < 16 { 16 } else { b };
    if tiles < b {
        tiles
    } else {
        b
    }
}

/// The blocking of an `h × w` image: tiles per row with the extra one (`q`),
/// rows of tiles in all and per block.
#[derive(Clone, Copy)]
struct Grid {
    q: usize,
    rows: usize,
    per_block: usize,
}

impl Grid {
    const fn new(cin: usize, cout: usize, h: usize, w: usize) -> Grid {
        let (q, rows) = (w.div_ceil(2) + 1, h.div_ceil(2));
        let per = block(cin, cout, rows * (q - 1)) / q;
        let per = if per == 0 { 1 } else { per };
        Grid { q, rows, per_block: if per < rows { per } else { rows } }
    }

    /// Floats of one padded row of a block: two per tile.
    const fn width(&self) -> usize {
        2 * self.q
    }

    /// Floats of the largest block's tiles.
    const fn most(&self) -> usize {
        self.per_block * self.q
    }

    /// Floats of the input transform's rows: four of the block at a stride fixed
    /// by the largest one (so their padding stays where it was zeroed), then a
    /// row of zeros.
    const fn input_rows(&self) -> usize {
        8 * self.most() + 8 + self.width()
    }

    /// Floats of the output transform's rows.
    const fn output_rows(&self) -> usize {
        12 * self.most()
    }
}

/// Scratch floats `conv3x3_winograd` needs for an image of `h × w`: both
/// blocks, then the rows of the input and the output transforms.
pub const fn scratch(cin: usize, cout: usize, h: usize, w: usize) -> usize {
    let g = Grid::new(cin, cout, h, w);
    16 * (cin + cout) * g.most() + g.input_rows() + g.output_rows()
}

/// `out = epilogue(conv3x3(x, w))` for `supports(p)`, with `u` the weights as
/// `G g Gᵀ`, `[16, cout, cin]` (position `4 i + j` of the 4×4 result first,
/// as `passes::winograd` in codegen writes them), and `scratch` at least `scratch(..)` floats.
/// A residual in `e` is not added (codegen fuses none here).
pub fn conv3x3_winograd(x: &[f32], u: &[f32], out: &mut [f32], scratch: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    let (cin, cout, h, w) = (p.in_channels, p.out_channels, p.in_h, p.in_w);
    let (image, out_image) = (cin * h * w, cout * h * w);
    if !supports(p)
        || x.len() < p.batch * image
        || out.len() < p.batch * out_image
        || u.len() < 16 * cout * cin
        || scratch.len() < self::scratch(cin, cout, h, w)
    {
        return;
    }
    let g = Grid::new(cin, cout, h, w);
    let most = g.most();
    let (v, rest) = scratch.split_at_mut(16 * cin * most);
    let (m, rest) = rest.split_at_mut(16 * cout * most);
    let (in_rows, out_rows) = rest.split_at_mut(g.input_rows());
    // Padding columns, the slack past the last row and the zero row are never
    // written below: zeroed once here (the scratch is arena memory).
    in_rows.fill(0.0);
    for (xb, ob) in x.chunks_exact(image).zip(out.chunks_exact_mut(out_image)).take(p.batch) {
        for ty0 in (0..g.rows).step_by(g.per_block) {
            let r = (g.rows - ty0).min(g.per_block);
            let n = r * g.q;
            let (v, m) = (&mut v[..16 * cin * n], &mut m[..16 * cout * n]);
            transform_inputs(xb, v, in_rows, p, g, ty0, r);
            for (xi, mx) in m.chunks_exact_mut(cout * n).enumerate() {
                let (ux, vx) = (&u[xi * cout * cin..][..cout * cin], &v[xi * cin * n..][..cin * n]);
                gemm(mx, ux, vx, cout, cin, n, Epilogue::NONE);
            }
            transform_outputs(m, ob, out_rows, p, g, ty0, r, &e);
        }
    }
}

/// `v`, `[16, channels, n]`, as its 16 positions.
fn positions(v: &mut [f32], len: usize) -> [&mut [f32]; 16] {
    let mut it = v.chunks_exact_mut(len.max(1));
    core::array::from_fn(|_| it.next().unwrap_or_default())
}

fn transform_inputs(x: &[f32], v: &mut [f32], rows: &mut [f32], p: &Conv2d, g: Grid, ty0: usize, r: usize) {
    #[cfg(feature = "threads")]
    if threads::inputs(x, v, p, g, ty0, r) {
        return;
    }
    let mut vs = positions(v, p.in_channels * r * g.q);
    avx2_inputs(x, &mut vs, rows, p, g, ty0, r, 0);
}

#[allow(clippy::too_many_arguments)]
fn transform_outputs(m: &[f32], out: &mut [f32], rows: &mut [f32], p: &Conv2d, g: Grid, ty0: usize, r: usize, e: &Epilogue<'_>) {
    #[cfg(feature = "threads")]
    if threads::outputs(m, out, p, g, ty0, r, e) {
        return;
    }
    avx2_outputs(m, out, rows, p, g, ty0, r, e, 0);
}

/// Feature `threads`: the transforms by ranges of channels, each part with its
/// transform rows on its own stack.
#[cfg(feature = "threads")]
mod threads {
    use super::{avx2_inputs, avx2_outputs, Conv2d, Epilogue, Grid};
    use crate::threads::{bands, run, Shared, Split};

    /// Floats of a part's transform rows on the stack (64 KiB); larger blocks run on one thread.
    const ROWS: usize = 1 << 14;
    /// Blocks at least this large (floats of `v` or `m`) are split.
    const SPLIT_MIN: usize = 1 << 15;

    /// A part's zeroed transform rows, `len` floats of them.
    fn with_rows(len: usize, f: impl FnOnce(&mut [f32])) {
        let mut rows = core::mem::MaybeUninit::<[f32; ROWS]>::uninit();
        // SAFETY: `len <= ROWS` (the callers'), and the floats are written before
        // the slice is made.
        let rows = unsafe {
            let p = rows.as_mut_ptr().cast::<f32>();
            core::ptr::write_bytes(p, 0, len);
            core::slice::from_raw_parts_mut(p, len)
        };
        f(rows);
    }

    pub(super) fn inputs(x: &[f32], v: &mut [f32], p: &Conv2d, g: Grid, ty0: usize, r: usize) -> bool {
        let (t, cin, n) = (crate::threads::get(), p.in_channels, r * g.q);
        let len = g.input_rows();
        if t < 2 || cin < 2 || len > ROWS || 16 * cin * n < SPLIT_MIN || v.len() < 16 * cin * n {
            return false;
        }
        let split = Split::new(cin, 2 * t, 1);
        let dst = Shared(v.as_mut_ptr());
        run(split.parts, &|i| {
            let (c0, c1) = split.range(i);
            // SAFETY: `v` holds 16 positions of cin * n floats; part i takes channels
            // c0..c1 of each, which no other part touches while `run` waits.
            let mut vs: [&mut [f32]; 16] =
                core::array::from_fn(|xi| unsafe { core::slice::from_raw_parts_mut(dst.get().add((xi * cin + c0) * n), (c1 - c0) * n) });
            with_rows(len, |rows| avx2_inputs(x, &mut vs, rows, p, g, ty0, r, c0));
        });
        true
    }

    pub(super) fn outputs(m: &[f32], out: &mut [f32], p: &Conv2d, g: Grid, ty0: usize, r: usize, e: &Epilogue<'_>) -> bool {
        let (t, cout, n, plane) = (crate::threads::get(), p.out_channels, r * g.q, p.out_h * p.out_w);
        let len = g.output_rows();
        if t < 2 || cout < 2 || len > ROWS || 16 * cout * n < SPLIT_MIN || out.len() < cout * plane {
            return false;
        }
        let split = Split::new(cout, 2 * t, 1);
        bands(out, split, plane, &|(c0, _), o| with_rows(len, |rows| avx2_outputs(m, o, rows, p, g, ty0, r, e, c0)));
        true
    }
}

avx2_clone! {
    /// `Bᵀ d B` of the tiles in rows `ty0..ty0 + r`, for channels from `c0` on
    /// (as many as `vs` holds), into `vs`: per position, `[channels, r * q]`.
    #[allow(clippy::too_many_arguments)]
    fn avx2_inputs(x: &[f32], vs: &mut [&mut [f32]; 16], rows: &mut [f32], p: &Conv2d, g: Grid, ty0: usize, r: usize, c0: usize) => inputs
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn inputs(x: &[f32], vs: &mut [&mut [f32]; 16], rows: &mut [f32], p: &Conv2d, g: Grid, ty0: usize, r: usize, c0: usize) {
    let (h, w) = (p.in_h, p.in_w);
    let (n, pw, most) = (r * g.q, g.width(), g.most());
    let count = vs[0].len() / n.max(1);
    // Four rows of Bᵀ d, each the block's padded rows (column 0 and past w stay
    // zero) and two floats of slack; then a row of zeros for rows past the image.
    let stride = 2 * most + 2;
    let (comb, rest) = rows.split_at_mut(4 * stride);
    let zero = &rest[..w];
    for (c, plane) in x.chunks_exact(h * w).skip(c0).take(count).enumerate() {
        for t in 0..r {
            let ty = ty0 + t;
            let row = |k: usize| match (2 * ty + k).checked_sub(1) {
                Some(y) if y < h => &plane[y * w..][..w],
                _ => zero,
            };
            let [d0, d1, d2, d3] = [0, 1, 2, 3].map(row);
            let at = |i: usize| i * stride + t * pw + 1;
            comb[at(0)..][..w].iter_mut().zip(d0.iter().zip(d2)).for_each(|(o, (a, b))| *o = a - b);
            comb[at(1)..][..w].iter_mut().zip(d1.iter().zip(d2)).for_each(|(o, (a, b))| *o = a + b);
            comb[at(2)..][..w].iter_mut().zip(d2.iter().zip(d1)).for_each(|(o, (a, b))| *o = a - b);
            comb[at(3)..][..w].iter_mut().zip(d1.iter().zip(d3)).for_each(|(o, (a, b))| *o = a - b);
        }
        // B on the columns: tile k of the block reads padded columns 2k..2k+3.
        for i in 0..4 {
            let cr = &comb[i * stride..][..2 * n + 2];
            let (lo, hi) = (cr[..2 * n].chunks_exact(2), cr[2..].chunks_exact(2));
            let [d0, d1, d2, d3] = &mut vs[4 * i..4 * i + 4] else { return };
            let [d0, d1, d2, d3] = [d0, d1, d2, d3].map(|v| &mut v[c * n..][..n]);
            for ((d, a), b) in d0.iter_mut().zip(lo.clone()).zip(hi.clone()) {
                *d = a[0] - b[0];
            }
            for ((d, a), b) in d1.iter_mut().zip(lo.clone()).zip(hi.clone()) {
                *d = a[1] + b[0];
            }
            for ((d, a), b) in d2.iter_mut().zip(lo.clone()).zip(hi.clone()) {
                *d = b[0] - a[1];
            }
            for ((d, a), b) in d3.iter_mut().zip(lo).zip(hi) {
                *d = a[1] - b[1];
            }
        }
    }
}

avx2_clone! {
    /// `Aᵀ m A` of the block's products, then the epilogue, into `out`: the
    /// planes of the channels from `c0` on, as many as `out` holds.
    #[allow(clippy::too_many_arguments)]
    fn avx2_outputs(m: &[f32], out: &mut [f32], rows: &mut [f32], p: &Conv2d, g: Grid, ty0: usize, r: usize, e: &Epilogue<'_>, c0: usize) => outputs
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn outputs(m: &[f32], out: &mut [f32], rows: &mut [f32], p: &Conv2d, g: Grid, ty0: usize, r: usize, e: &Epilogue<'_>, c0: usize) {
    let (cout, h, w) = (p.out_channels, p.out_h, p.out_w);
    let (n, pw, most) = (r * g.q, g.width(), g.most());
    let (sd, ys) = rows.split_at_mut(8 * most);
    for (k, plane) in out.chunks_exact_mut(h * w).take(cout - c0.min(cout)).enumerate() {
        let oc = c0 + k;
        // Aᵀ on the rows: m0 + m1 + m2 and m1 - m2 - m3, for each of the 4 columns.
        for j in 0..4 {
            let [m0, m1, m2, m3] = [0, 1, 2, 3].map(|i| &m[(4 * i + j) * cout * n + oc * n..][..n]);
            let (s, d) = sd[2 * j * n..][..2 * n].split_at_mut(n);
            for (t, (s, d)) in s.iter_mut().zip(d.iter_mut()).enumerate() {
                *s = m0[t] + m1[t] + m2[t];
                *d = m1[t] - m2[t] - m3[t];
            }
        }
        // A on the columns: each row's outputs 2k and 2k + 1, interleaved, then
        // the rows copied out without the extra tile.
        for half in 0..2 {
            let [a0, a1, a2, a3] = [0, 1, 2, 3].map(|j| &sd[(2 * j + half) * n..][..n]);
            let y = &mut ys[half * 2 * n..][..2 * n];
            for (t, pair) in y.chunks_exact_mut(2).enumerate() {
                pair[0] = e.apply(oc, a0[t] + a1[t] + a2[t]);
                pair[1] = e.apply(oc, a1[t] - a2[t] - a3[t]);
            }
            for t in 0..r {
                let oy = 2 * (ty0 + t) + half;
                if oy < h {
                    plane[oy * w..][..w].copy_from_slice(&y[t * pw..][..w]);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::conv::im2col::conv2d;
    use crate::testutil::{each_path, Lcg};

    /// The weights `[cout, cin, 3, 3]` as `u` (codegen's transform, in f32).
    fn transform_weights(w: &[f32], u: &mut [f32], cout: usize, cin: usize) {
        if w.len() < cout * cin * 9 || u.len() < 16 * cout * cin {
            return;
        }
        for (oc, g) in w.chunks_exact(9).take(cout * cin).enumerate() {
            let rows = [0, 1, 2].map(|r| [g[r * 3], g[r * 3 + 1], g[r * 3 + 2]]);
            let gr = |a: [f32; 3]| [a[0], (a[0] + a[1] + a[2]) / 2.0, (a[0] - a[1] + a[2]) / 2.0, a[2]];
            let cols = [0, 1, 2].map(|s| gr([rows[0][s], rows[1][s], rows[2][s]]));
            for i in 0..4 {
                let row = gr([cols[0][i], cols[1][i], cols[2][i]]);
                for (j, &v) in row.iter().enumerate() {
                    u[(4 * i + j) * cout * cin + oc] = v;
                }
            }
        }
    }

    fn params(batch: usize, cin: usize, cout: usize, h: usize, w: usize) -> Conv2d {
        crate::conv::im2col::tests::params(batch, (cin, cout, 1), (h, w), (3, 3), (1, 1), (1, 1), (1, 1))
    }

    fn run(x: &[f32], wt: &[f32], p: &Conv2d, e: Epilogue<'_>) -> Vec<f32> {
        let mut u = vec![0.0; 16 * p.out_channels * p.in_channels];
        transform_weights(wt, &mut u, p.out_channels, p.in_channels);
        let mut scratch = vec![f32::NAN; scratch(p.in_channels, p.out_channels, p.in_h, p.in_w)];
        let mut out = vec![f32::NAN; p.batch * p.out_channels * p.in_h * p.in_w];
        conv3x3_winograd(x, &u, &mut out, &mut scratch, p, e);
        out
    }

    /// Split across threads (the transforms by channels, the products by columns):
    /// the one-thread bits, on every path.
    #[cfg(feature = "threads")]
    #[test]
    fn split_gives_the_one_thread_bits() {
        let _one = crate::threads::tests::ONE_AT_A_TIME.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut rng = Lcg(31);
        for &(batch, cin, cout, h, w) in &[(1, 64, 64, 56, 56), (2, 33, 17, 21, 30), (1, 16, 40, 64, 9)] {
            let p = params(batch, cin, cout, h, w);
            let (mut x, mut wt, mut bias) = (vec![0.0; batch * cin * h * w], vec![0.0; cout * cin * 9], vec![0.0; cout]);
            [&mut x, &mut wt, &mut bias].into_iter().for_each(|v| rng.fill(v));
            let e = Epilogue { bias: Some(&bias), clamp: Some((-0.5, 0.7)), residual: None };
            each_path(|path| {
                let (want, _) = crate::threads::tests::with(1, || run(&x, &wt, &p, e));
                let (got, split) = crate::threads::tests::with(2, || run(&x, &wt, &p, e));
                assert!(split, "{path} {cin}x{h}x{w}->{cout} was not split");
                assert!(want.iter().all(|v| !v.is_nan()), "{path} {cin}x{h}x{w}->{cout}");
                assert!(got.iter().zip(&want).all(|(g, w)| g.to_bits() == w.to_bits()), "{path} {cin}x{h}x{w}->{cout}");
            });
        }
    }

    /// Odd and even sizes, one row or column, several blocks of tiles, two images,
    /// against the direct kernel (the portable sum order) within rounding.
    #[test]
    fn matches_direct_convolution() {
        let mut rng = Lcg(29);
        let shapes = [(1, 1, 1, 1, 1), (1, 3, 5, 1, 7), (2, 4, 6, 5, 5), (1, 16, 8, 9, 14), (1, 8, 24, 33, 31), (2, 40, 24, 12, 10)];
        for &(batch, cin, cout, h, w) in &shapes {
            let p = params(batch, cin, cout, h, w);
            let (mut x, mut wt, mut bias) = (vec![0.0; batch * cin * h * w], vec![0.0; cout * cin * 9], vec![0.0; cout]);
            rng.fill(&mut x);
            rng.fill(&mut wt);
            rng.fill(&mut bias);
            for clamp in [None, Some((0.0, 0.5))] {
                let e = Epilogue { bias: Some(&bias), clamp, residual: None };
                let mut want = vec![0.0; batch * cout * h * w];
                conv2d(&x, &wt, Some(&bias), &mut want, &p);
                if let Some((lo, hi)) = clamp {
                    want.iter_mut().for_each(|v| *v = v.clamp(lo, hi));
                }
                each_path(|path| {
                    let got = run(&x, &wt, &p, e);
                    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                        let tol = 1e-5 * (cin as f32 * 9.0).sqrt() * (1.0 + w.abs());
                        assert!((g - w).abs() <= tol, "{path} {batch}x{cin}x{h}x{w}->{cout} at {i}: {g} vs {w}");
                    }
                });
            }
        }
    }

    #[test]
    fn clamp_keeps_nan() {
        let p = params(1, 2, 3, 4, 4);
        let mut x = vec![0.5; 2 * 16];
        x[5] = f32::NAN;
        let wt = vec![0.25; 3 * 2 * 9];
        let got = run(&x, &wt, &p, Epilogue { bias: None, clamp: Some((0.0, 6.0)), residual: None });
        // Input (row 1, column 1) reaches every output of its tiles' neighbourhood.
        assert!(got[0].is_nan() && got[16].is_nan() && got[32].is_nan());
        assert!(!got[15].is_nan(), "{got:?}");
    }

    #[test]
    fn blocks_stay_in_budget() {
        assert_eq!(block(64, 64, 784), 256);
        assert_eq!(block(128, 128, 196), 112);
        assert_eq!(block(256, 256, 49), 32);
        assert_eq!(block(512, 512, 16), 16);
        assert_eq!(block(8, 8, 3), 3);
        // Short buffers do nothing rather than panic.
        let p = params(1, 2, 2, 4, 4);
        let mut out = vec![1.0; 32];
        conv3x3_winograd(&[0.0; 32], &[0.0; 64], &mut out, &mut [0.0; 4], &p, Epilogue::NONE);
        assert!(out.iter().all(|&v| v == 1.0));
    }
}
