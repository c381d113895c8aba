//! 2-D max and average pooling over NCHW planes, following ExecuTorch's
//! window rules.
//!
//! The window of output `(oy, ox)` starts at `oy * stride - pad`; its extent
//! for the emptiness test and for `count_include_pad` is `kernel` clipped to
//! `in + pad` (without dilation). If the clipped window misses the input
//! entirely ExecuTorch writes nothing for that output, and neither do we.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2d {
    pub batch: usize,
    pub channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_h: usize,
    pub pad_w: usize,
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub out_h: usize,
    pub out_w: usize,
}

/// Undilated window along one axis: `(start, end)` clipped to `in + pad`,
/// before clipping to the input itself.
#[inline]
fn window(o: usize, stride: usize, pad: usize, kernel: usize, len: usize) -> (isize, isize) {
    let start = (o * stride) as isize - pad as isize;
    let end = (start + kernel as isize).min((len + pad) as isize);
    (start, end)
}

/// Number of input positions inside `(start, end)` after clipping to `0..len`.
#[inline]
fn clipped(start: isize, end: isize, len: usize) -> usize {
    let (s, e) = (start.max(0), end.min(len as isize));
    if e > s {
        (e - s) as usize
    } else {
        0
    }
}

/// Input coordinate of kernel tap `k`, if it is inside the input.
#[inline]
fn tap(
    o: usize,
    stride: usize,
    k: usize,
    dilation: usize,
    pad: usize,
    len: usize,
) -> Option<usize> {
    (o * stride + k * dilation)
        .checked_sub(pad)
        .filter(|&i| i < len)
}

/// Max pooling. NaN handling follows the portable kernel: the first in-bounds
/// value seeds the window and is replaced only by strictly greater values, so
/// a NaN survives only if it comes first. `indices` gets `iy * in_w + ix`.
pub fn max_pool2d(x: &[f32], out: &mut [f32], indices: Option<&mut [i64]>, p: &Pool2d) {
    #[cfg(feature = "threads")]
    let Some(indices) = split_planes(x, out, indices, p) else { return };
    max_pool2d_one(x, out, indices, p);
}

/// Poolings at least this large (window taps) are split across threads.
#[cfg(feature = "threads")]
const SPLIT_MIN: usize = 1 << 18;

/// With feature `threads` and more than one thread: ranges of planes as parts
/// of one `threads::run`, then None; else `indices` back, with nothing done.
#[cfg(feature = "threads")]
fn split_planes<'a>(x: &[f32], out: &mut [f32], indices: Option<&'a mut [i64]>, p: &Pool2d) -> Option<Option<&'a mut [i64]>> {
    let (t, planes) = (crate::threads::get(), p.batch * p.channels);
    let (in_plane, out_plane) = (p.in_h * p.in_w, p.out_h * p.out_w);
    let work = planes.saturating_mul(out_plane).saturating_mul(p.kernel_h * p.kernel_w);
    let fits = x.len() >= planes * in_plane && out.len() >= planes * out_plane && indices.as_ref().is_none_or(|i| i.len() >= planes * out_plane);
    if t < 2 || planes < 2 || work < SPLIT_MIN || !fits {
        return Some(indices);
    }
    let split = crate::threads::Split::new(planes, 2 * t, 1);
    let dst = crate::threads::Shared(out.as_mut_ptr());
    let ix = indices.map(|i| crate::threads::Shared(i.as_mut_ptr()));
    crate::threads::run(split.parts, &|i| {
        let (c0, c1) = split.range(i);
        // SAFETY: `fits` checked that `out` (and `indices`) hold every plane; part i
        // writes only planes c0..c1 of them, which no other part touches while `run` waits.
        let o = unsafe { core::slice::from_raw_parts_mut(dst.get().add(c0 * out_plane), (c1 - c0) * out_plane) };
        // SAFETY: as above.
        let ix = ix.map(|ix| unsafe { core::slice::from_raw_parts_mut(ix.get().add(c0 * out_plane), (c1 - c0) * out_plane) });
        let q = Pool2d { batch: 1, channels: c1 - c0, ..*p };
        max_pool2d_one(x.get(c0 * in_plane..).unwrap_or(&[]), o, ix, &q);
    });
    None
}

avx2_clone! {
    /// `max_pool2d` on the calling thread.
    fn max_pool2d_one(x: &[f32], out: &mut [f32], indices: Option<&mut [i64]>, p: &Pool2d) => max_pool2d_body
}

#[inline(always)]
fn max_pool2d_body(x: &[f32], out: &mut [f32], mut indices: Option<&mut [i64]>, p: &Pool2d) {
    let in_plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    if out_plane == 0 {
        return;
    }
    // Without indices, the columns whose every tap is inside the input go tap by tap across the row.
    let inner = if indices.is_none() { inner_columns(p) } else { (0, 0) };
    for (c, o_plane) in out
        .chunks_exact_mut(out_plane)
        .take(p.batch * p.channels)
        .enumerate()
    {
        let x_plane = x.get(c * in_plane..).unwrap_or(&[]);
        for (oy, o_row) in o_plane.chunks_exact_mut(p.out_w).enumerate() {
            let fast = inner.0 < inner.1 && inner_row(x_plane, &mut o_row[inner.0..inner.1], p, oy, inner.0);
            // The columns `inner_row` did not take, one window at a time.
            let (skip, resume) = if fast { inner } else { (p.out_w, p.out_w) };
            for ox in (0..skip).chain(resume..p.out_w) {
                let Some((v, at)) = window_max(x_plane, p, oy, ox) else { continue };
                if let Some(o) = o_row.get_mut(ox) {
                    *o = v;
                }
                let k = oy * p.out_w + ox;
                if let Some(slot) = indices
                    .as_deref_mut()
                    .and_then(|ix| ix.get_mut(c * out_plane + k))
                {
                    *slot = at as i64;
                }
            }
        }
    }
}

/// The maximum of output `(oy, ox)`'s window and where it is; `None` when the
/// clipped window misses the input (ExecuTorch writes nothing there).
fn window_max(x_plane: &[f32], p: &Pool2d, oy: usize, ox: usize) -> Option<(f32, usize)> {
    let (h0, h1) = window(oy, p.stride_h, p.pad_h, p.kernel_h, p.in_h);
    let (w0, w1) = window(ox, p.stride_w, p.pad_w, p.kernel_w, p.in_w);
    if clipped(h0, h1, p.in_h) == 0 || clipped(w0, w1, p.in_w) == 0 {
        return None;
    }
    let mut best: Option<(f32, usize)> = None;
    for ky in 0..p.kernel_h {
        let Some(iy) = tap(oy, p.stride_h, ky, p.dilation_h, p.pad_h, p.in_h) else {
            continue;
        };
        for kx in 0..p.kernel_w {
            let Some(ix) = tap(ox, p.stride_w, kx, p.dilation_w, p.pad_w, p.in_w) else {
                continue;
            };
            let at = iy * p.in_w + ix;
            let Some(&v) = x_plane.get(at) else { continue };
            if best.is_none_or(|(b, _)| v > b) {
                best = Some((v, at));
            }
        }
    }
    Some(best.unwrap_or((0.0, 0)))
}

/// Output columns `lo..hi` whose taps all lie inside the input row.
fn inner_columns(p: &Pool2d) -> (usize, usize) {
    let (sw, span) = (p.stride_w.max(1), (p.kernel_w.max(1) - 1) * p.dilation_w);
    let lo = p.pad_w.div_ceil(sw);
    let hi = match (p.in_w + p.pad_w).checked_sub(span + 1) {
        Some(last) => (last / sw + 1).min(p.out_w),
        None => 0,
    };
    (lo.min(hi), hi)
}

/// Output row `oy`, columns `ox0..ox0 + row.len()` (all inside, `inner_columns`),
/// one tap at a time in the window's order: the first seeds, a later one wins
/// only if greater, as `window_max` decides per element. False, with nothing
/// written, when the row's window has no tap inside the input.
#[inline(always)]
fn inner_row(x_plane: &[f32], row: &mut [f32], p: &Pool2d, oy: usize, ox0: usize) -> bool {
    let (h0, h1) = window(oy, p.stride_h, p.pad_h, p.kernel_h, p.in_h);
    let rows = (0..p.kernel_h).filter_map(|ky| tap(oy, p.stride_h, ky, p.dilation_h, p.pad_h, p.in_h));
    if clipped(h0, h1, p.in_h) == 0 || rows.clone().next().is_none() {
        return false;
    }
    let sw = p.stride_w.max(1);
    // Up to 25 taps (5 × 5) at stride 1 or 2: blocks of outputs whose maxima
    // stay in registers over every tap (a pass per tap kept the loop scalar,
    // or made LLVM store each greater value through a mask).
    let mut taps: [&[f32]; MAX_TAPS] = [&[]; MAX_TAPS];
    let mut count = 0;
    for iy in rows.clone() {
        for kx in 0..p.kernel_w {
            if let Some(t) = taps.get_mut(count) {
                // Inside by `inner_columns`, as below.
                *t = x_plane.get(iy * p.in_w + ox0 * sw + kx * p.dilation_w - p.pad_w..).unwrap_or(&[]);
            }
            count += 1;
        }
    }
    if count <= MAX_TAPS && (sw == 1 || sw == 2) {
        let taps = &taps[..count];
        if sw == 1 {
            blocks::<1>(row, taps);
        } else {
            blocks::<2>(row, taps);
        }
        return true;
    }
    let mut first = true;
    for iy in rows {
        for kx in 0..p.kernel_w {
            // Inside by `inner_columns`: ox0 * sw + kx * dilation >= pad.
            let start = iy * p.in_w + ox0 * sw + kx * p.dilation_w - p.pad_w;
            let src = x_plane.get(start..).unwrap_or(&[]).iter().step_by(sw);
            if first {
                row.iter_mut().zip(src).for_each(|(o, &v)| *o = v);
                first = false;
            } else {
                row.iter_mut().zip(src).for_each(|(o, &v)| *o = if v > *o { v } else { *o });
            }
        }
    }
    true
}

/// Most taps `blocks` takes.
const MAX_TAPS: usize = 25;

/// `row[i]` = the maximum over `taps` of `tap[S * i]`, in the taps' order: the
/// first seeds, a later one wins only if greater (NaN in a later tap loses,
/// NaN seeded stays), as `window_max` decides per element. Taps too short
/// for an output leave it as it was.
#[inline(always)]
fn blocks<const S: usize>(row: &mut [f32], taps: &[&[f32]]) {
    const L: usize = 8;
    let Some((first, rest)) = taps.split_first() else { return };
    // What a block reads of a tap, as a window of fixed length.
    let span = S * (L - 1) + 1;
    let mut i0 = 0;
    for o in row.chunks_exact_mut(L) {
        let Some(w) = first.get(S * i0..S * i0 + span) else { return };
        let mut m: [f32; L] = core::array::from_fn(|l| w[S * l]);
        for t in rest {
            let Some(w) = t.get(S * i0..S * i0 + span) else { return };
            for (l, m) in m.iter_mut().enumerate() {
                let v = w[S * l];
                *m = if v > *m { v } else { *m };
            }
        }
        o.copy_from_slice(&m);
        i0 += L;
    }
    for (i, o) in row.iter_mut().enumerate().skip(i0) {
        let Some(&v0) = first.get(S * i) else { return };
        let mut m = v0;
        for t in rest {
            let Some(&v) = t.get(S * i) else { return };
            m = if v > m { v } else { m };
        }
        *o = m;
    }
}

/// XNNPACK's argmax pooling: `max_pool2d`'s maxima, with each one's index
/// inside its window (`ky * kernel_w + kx`) instead of in the input plane.
pub fn argmax_pool2d(x: &[f32], out: &mut [f32], indices: &mut [i64], p: &Pool2d) {
    max_pool2d(x, out, Some(&mut *indices), p);
    let (out_plane, in_w) = (p.out_h * p.out_w, p.in_w.max(1) as i64);
    if out_plane == 0 {
        return;
    }
    for (k, i) in indices.iter_mut().enumerate() {
        let (oy, ox) = (((k % out_plane) / p.out_w) as i64, (k % p.out_w) as i64);
        let ky = *i / in_w + p.pad_h as i64 - oy * p.stride_h as i64;
        let kx = *i % in_w + p.pad_w as i64 - ox * p.stride_w as i64;
        *i = ky * p.kernel_w as i64 + kx;
    }
}

/// Average pooling (`divisor_override` unset). `dilation` is ignored since the
/// ATen op has none.
pub fn avg_pool2d(x: &[f32], out: &mut [f32], p: &Pool2d, count_include_pad: bool) {
    avg_pool2d_with_divisor(x, out, p, count_include_pad, None);
}

/// Average pooling; with `divisor_override` the window sum is divided by it
/// instead of the element count.
pub fn avg_pool2d_with_divisor(
    x: &[f32],
    out: &mut [f32],
    p: &Pool2d,
    count_include_pad: bool,
    divisor_override: Option<i64>,
) {
    avg_pool2d_map(x, out, p, count_include_pad, divisor_override, |v| v, |v| v);
}

/// Average pooling over any element type: each element is read as `load(x)`,
/// the window summed and divided in f32 as above, and written as `store(mean)`
/// (the int8 pool dequantizes and quantizes there).
pub fn avg_pool2d_map<T: Copy, U>(
    x: &[T],
    out: &mut [U],
    p: &Pool2d,
    count_include_pad: bool,
    divisor_override: Option<i64>,
    load: impl Fn(T) -> f32,
    store: impl Fn(f32) -> U,
) {
    let in_plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    if out_plane == 0 {
        return;
    }
    for (c, o_plane) in out
        .chunks_exact_mut(out_plane)
        .take(p.batch * p.channels)
        .enumerate()
    {
        let x_plane = x.get(c * in_plane..).unwrap_or(&[]);
        for (k, o) in o_plane.iter_mut().enumerate() {
            let (oy, ox) = (k / p.out_w, k % p.out_w);
            let (h0, h1) = window(oy, p.stride_h, p.pad_h, p.kernel_h, p.in_h);
            let (w0, w1) = window(ox, p.stride_w, p.pad_w, p.kernel_w, p.in_w);
            let (ch, cw) = (clipped(h0, h1, p.in_h), clipped(w0, w1, p.in_w));
            if ch == 0 || cw == 0 {
                continue;
            }
            let mut sum: Option<f32> = None;
            for ky in 0..p.kernel_h {
                let Some(iy) = tap(oy, p.stride_h, ky, 1, p.pad_h, p.in_h) else {
                    continue;
                };
                for kx in 0..p.kernel_w {
                    let Some(ix) = tap(ox, p.stride_w, kx, 1, p.pad_w, p.in_w) else {
                        continue;
                    };
                    let Some(&v) = x_plane.get(iy * p.in_w + ix) else {
                        continue;
                    };
                    let v = load(v);
                    sum = Some(sum.map_or(v, |s| v + s));
                }
            }
            let sum = sum.unwrap_or(0.0);
            *o = store(match divisor_override {
                Some(d) => sum / d as f32,
                None if count_include_pad => sum / ((h1 - h0) * (w1 - w0)) as f32,
                None => sum / (ch * cw) as f32,
            });
        }
    }
}

/// `_adaptive_avg_pool2d` over `planes` planes `[ih, iw]` into `[oh, ow]`:
/// window rows `floor(o * ih / oh)..ceil((o + 1) * ih / oh)` (in f32, as
/// ExecuTorch), summed in f32 and divided by the window's size.
#[allow(clippy::too_many_arguments)]
pub fn adaptive_avg_pool2d<T: Copy>(
    x: &[T],
    out: &mut [T],
    planes: usize,
    ih: usize,
    iw: usize,
    oh: usize,
    ow: usize,
    load: impl Fn(T) -> f32,
    store: impl Fn(f32) -> T,
) {
    let start = |o: usize, n: usize, i: usize| libm::floorf((o * i) as f32 / n as f32) as usize;
    let end = |o: usize, n: usize, i: usize| (libm::ceilf(((o + 1) * i) as f32 / n as f32) as usize).min(i);
    for p in 0..planes {
        for y in 0..oh {
            let (y0, y1) = (start(y, oh, ih), end(y, oh, ih));
            for xo in 0..ow {
                let (x0, x1) = (start(xo, ow, iw), end(xo, ow, iw));
                let mut sum = 0.0f32;
                for r in y0..y1 {
                    for c in x0..x1 {
                        sum += x.get(p * ih * iw + r * iw + c).map_or(0.0, |&v| load(v));
                    }
                }
                let count = (y1.saturating_sub(y0) * x1.saturating_sub(x0)) as f32;
                if let Some(o) = out.get_mut(p * oh * ow + y * ow + xo) {
                    *o = store(sum / count);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Lcg;
    extern crate std;
    use std::vec;

    fn params(in_hw: (usize, usize), k: usize, s: usize, pad: usize, d: usize) -> Pool2d {
        let len = |n: usize| (n + 2 * pad - d * (k - 1) - 1) / s + 1;
        Pool2d {
            batch: 1,
            channels: 1,
            in_h: in_hw.0,
            in_w: in_hw.1,
            kernel_h: k,
            kernel_w: k,
            stride_h: s,
            stride_w: s,
            pad_h: pad,
            pad_w: pad,
            dilation_h: d,
            dilation_w: d,
            out_h: len(in_hw.0),
            out_w: len(in_hw.1),
        }
    }

    #[test]
    fn max_pool_values_and_indices() {
        // 4x4 input, 2x2 kernel, stride 2.
        let x = [
            1.0, 2.0, 5.0, 3.0, //
            4.0, 0.0, 1.0, 1.0, //
            7.0, 8.0, 2.0, 9.0, //
            6.0, 8.5, 3.0, 4.0f32,
        ];
        let p = params((4, 4), 2, 2, 0, 1);
        let mut out = [0.0f32; 4];
        let mut idx = [0i64; 4];
        max_pool2d(&x, &mut out, Some(&mut idx), &p);
        assert_eq!(out, [4.0, 5.0, 8.5, 9.0]);
        assert_eq!(idx, [4, 2, 13, 11]);
    }

    #[test]
    fn max_pool_padding_dilation_and_ties() {
        // 3x3 kernel, pad 1, stride 1 over 2x3 of equal values: first index wins.
        let p = Pool2d {
            batch: 1,
            channels: 2,
            ..params((2, 3), 3, 1, 1, 1)
        };
        let mut x = [1.0f32; 12];
        x[6..].copy_from_slice(&[-1.0, -5.0, -2.0, -3.0, -4.0, -6.0]);
        let mut out = [0.0f32; 12];
        let mut idx = [0i64; 12];
        max_pool2d(&x, &mut out, Some(&mut idx), &p);
        assert_eq!(out[..6], [1.0; 6]);
        assert_eq!(idx[..6], [0, 0, 1, 0, 0, 1]);
        assert_eq!(out[6..], [-1.0, -1.0, -2.0, -1.0, -1.0, -2.0]);
        assert_eq!(idx[6..], [0, 0, 2, 0, 0, 2]);

        // Dilation 2: taps at 0 and 2 only.
        let p = params((1, 5), 1, 1, 0, 1);
        let p = Pool2d {
            kernel_w: 2,
            dilation_w: 2,
            out_w: 3,
            ..p
        };
        let mut out = [0.0f32; 3];
        let mut idx = [0i64; 3];
        max_pool2d(&[1.0, 9.0, 2.0, 9.0, 3.0], &mut out, Some(&mut idx), &p);
        assert_eq!(out, [2.0, 9.0, 3.0]);
        assert_eq!(idx, [2, 1, 4]);
    }

    #[test]
    fn max_pool_nan_only_when_first() {
        let p = params((1, 4), 1, 1, 0, 1);
        let p = Pool2d {
            kernel_w: 2,
            stride_w: 2,
            out_w: 2,
            ..p
        };
        let mut out = [0.0f32; 2];
        max_pool2d(&[f32::NAN, 1.0, 1.0, f32::NAN], &mut out, None, &p);
        assert!(out[0].is_nan());
        assert_eq!(out[1], 1.0);
    }

    #[test]
    fn max_pool_rows_match_the_windows() {
        // Without indices the inner columns go tap by tap across the row; with
        // them every output goes window by window. Both give the same bits,
        // NaNs included, on odd sizes, padding, dilation and ceil-mode extents.
        let mut rng = Lcg(21);
        for &(h, w, k, s, pad, d, extra) in &[
            (112, 112, 3, 2, 1, 1, 0),
            (9, 13, 3, 1, 1, 1, 0),
            (10, 11, 2, 2, 0, 1, 1),
            (12, 9, 3, 2, 1, 2, 0),
            (7, 7, 5, 3, 2, 1, 1),
            (3, 20, 3, 1, 0, 1, 0),
        ] {
            let mut p = params((h, w), k, s, pad, d);
            p.channels = 3;
            p.out_h += extra;
            p.out_w += extra;
            let mut x = vec![0.0f32; 3 * h * w];
            rng.fill(&mut x);
            for i in (0..x.len()).step_by(37) {
                x[i] = f32::NAN;
            }
            let n = 3 * p.out_h * p.out_w;
            let (mut fast, mut each, mut ix) = (vec![-7.0f32; n], vec![-7.0f32; n], vec![0i64; n]);
            max_pool2d(&x, &mut fast, None, &p);
            max_pool2d(&x, &mut each, Some(&mut ix), &p);
            assert!(fast.iter().zip(&each).all(|(a, b)| a.to_bits() == b.to_bits()), "{p:?}");
        }
    }

    #[test]
    fn avg_pool_counts() {
        // 3x3 ones-ish input, 3x3 kernel, pad 1.
        let x: [f32; 9] = core::array::from_fn(|i| i as f32);
        let p = params((3, 3), 3, 1, 1, 1);
        let mut out = [0.0f32; 9];
        avg_pool2d(&x, &mut out, &p, false);
        // Corner (0,0): mean of 0,1,3,4 = 2.
        assert_eq!(out[0], 2.0);
        assert_eq!(out[4], 4.0);
        avg_pool2d(&x, &mut out, &p, true);
        assert_eq!(out[0], 8.0 / 9.0);
        assert_eq!(out[4], 4.0);
        avg_pool2d_with_divisor(&x, &mut out, &p, false, Some(2));
        assert_eq!(out[0], 4.0);
    }

    #[test]
    fn avg_pool_matches_naive() {
        let mut rng = Lcg(9);
        for &(h, w, k, s, pad) in &[(7, 6, 3, 2, 1), (5, 5, 2, 1, 0), (6, 9, 3, 3, 1)] {
            let p = Pool2d {
                batch: 2,
                channels: 3,
                ..params((h, w), k, s, pad, 1)
            };
            let mut x = vec![0.0f32; 2 * 3 * h * w];
            rng.fill(&mut x);
            let mut out = vec![0.0f32; 2 * 3 * p.out_h * p.out_w];
            for include in [false, true] {
                avg_pool2d(&x, &mut out, &p, include);
                for c in 0..6 {
                    for oy in 0..p.out_h {
                        for ox in 0..p.out_w {
                            let (mut acc, mut n) = (None::<f32>, 0);
                            for ky in 0..k {
                                for kx in 0..k {
                                    let iy = (oy * s + ky) as isize - pad as isize;
                                    let ix = (ox * s + kx) as isize - pad as isize;
                                    if iy >= 0 && ix >= 0 && (iy as usize) < h && (ix as usize) < w
                                    {
                                        let v = x[c * h * w + iy as usize * w + ix as usize];
                                        acc = Some(acc.map_or(v, |a| v + a));
                                        n += 1;
                                    }
                                }
                            }
                            let y0 = (oy * s) as isize - pad as isize;
                            let x0 = (ox * s) as isize - pad as isize;
                            let hh = (y0 + k as isize).min((h + pad) as isize) - y0;
                            let ww = (x0 + k as isize).min((w + pad) as isize) - x0;
                            let count = if include { (hh * ww) as usize } else { n };
                            let want = acc.unwrap() / count as f32;
                            assert_eq!(out[(c * p.out_h + oy) * p.out_w + ox], want);
                        }
                    }
                }
            }
        }
    }
}
