//! Int8 convolution and linear layers: `(x - x_zp) · w` accumulates exactly in
//! i32, then each output is requantized per channel in f32, the same steps as
//! ExecuTorch's dequantize → f32 kernel → quantize, up to the f32 sum order.
//!
//! Padding taps are skipped: they hold the zero point, which is a real 0.
//! With `x - x_zp` in [-255, 255] and `w` in [-128, 127], every product fits in i16.

use crate::conv::im2col::Conv2d;
use crate::quant::affine::Out;

/// Per output channel `c`: `acc · scale[c] + bias[c]`, then quantized by `out`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Requant<'a> {
    /// Input scale × the channel's weight scale.
    pub scale: &'a [f32],
    pub bias: &'a [f32],
    pub out: Out,
}

impl Requant<'_> {
    #[inline(always)]
    pub(crate) fn row(&self, c: usize, acc: &[i32], out: &mut [i8]) {
        let (s, b) = (
            self.scale.get(c).copied().unwrap_or(0.0),
            self.bias.get(c).copied().unwrap_or(0.0),
        );
        self.out.requantize_row(acc, out, s, b);
    }
}

/// Output positions per pass: one accumulator row on the stack.
const ROW: usize = 128;

/// NCHW int8 convolution, weight `[out_c, in_c / groups, kh, kw]`.
pub fn qconv2d(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: Requant<'_>) {
    #[cfg(feature = "threads")]
    if crate::quant::split::qconv2d(x, x_zp, w, out, p, rq) {
        return;
    }
    qconv2d_one(x, x_zp, w, out, p, rq);
}

/// `qconv2d` on the calling thread.
pub(crate) fn qconv2d_one(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: Requant<'_>) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if crate::cpu::simd128() && pointwise_fits(x, w, out, p) {
        return each_image(x, out, p, |x, out, cin, cout, hw| {
            // SAFETY: `pointwise_fits` checked that `cin` fits the stack buffers.
            unsafe { crate::quant::pointwise_wasm::pointwise(x, x_zp, w, out, cin, cout, hw, &rq) }
        });
    }
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx512_vnni() && crate::quant::gemm_vnni::supports(p.in_channels) && pointwise_fits(x, w, out, p) {
        return each_image(x, out, p, |x, out, cin, cout, hw| {
            // SAFETY: AVX-512 VNNI is present and `supports` checked the channel count.
            unsafe { crate::quant::gemm_vnni::pointwise(x, x_zp, w, out, cin, cout, hw, &rq) }
        });
    }
    #[cfg(target_arch = "x86_64")]
    if crate::quant::affine_avx2::has_avx2() && pointwise_fits(x, w, out, p) {
        return each_image(x, out, p, |x, out, cin, cout, hw| {
            // SAFETY: AVX2 is present and `pointwise_fits` checked that `cin` fits the stack buffers.
            unsafe { crate::quant::gemm::avx2::pointwise(x, x_zp, w, out, cin, cout, hw, &rq) }
        });
    }
    #[cfg(target_arch = "x86_64")]
    if crate::quant::affine_avx2::has_avx2() && crate::quant::conv3x3::supports(p) && holds(x, w, out, p) {
        // SAFETY: AVX2 is present, the kernel covers `p`, and `holds` checked the slice lengths.
        unsafe { crate::quant::conv3x3::avx2::conv3x3(x, x_zp, w, out, p, &rq) };
        return;
    }
    // On Cortex-M: 3×3 depthwise convolutions by rows from the int8 input;
    // one-group ones as dot products (`patch`), on the DSP extension all whose
    // patch fits, without it all but the pointwise ones, which `pointwise`
    // does better. The rest run on `direct` (see `qconv2d_body`).
    #[cfg(target_arch = "arm")]
    if crate::quant::depthwise_rows::supports(p) {
        return crate::quant::depthwise_rows::depthwise(x, x_zp, w, out, p, &rq);
    }
    #[cfg(target_arch = "arm")]
    if crate::quant::patch::supports(p) && (cfg!(target_feature = "dsp") || !is_pointwise(p)) {
        return crate::quant::patch::qconv2d_patch(x, x_zp, w, out, p, &rq);
    }
    qconv2d_any(x, x_zp, w, out, p, rq);
}

avx2_clone! {
    /// Every other convolution: the portable kernel, auto-vectorised.
    fn qconv2d_any(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: Requant<'_>) => qconv2d_body
}

/// The portable kernel whatever the CPU: what the SIMD paths are tested against.
#[cfg(test)]
pub(crate) fn qconv2d_portable(
    x: &[i8],
    x_zp: i32,
    w: &[i8],
    out: &mut [i8],
    p: &Conv2d,
    rq: Requant<'_>,
) {
    qconv2d_body(x, x_zp, w, out, p, rq);
}

/// 1×1, stride 1, unpadded, one group: what `pointwise` covers.
#[inline]
fn is_pointwise(p: &Conv2d) -> bool {
    let one = p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1;
    one && p.pad_h == 0 && p.pad_w == 0 && p.groups == 1
}

#[inline(always)]
fn qconv2d_body(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: Requant<'_>) {
    // On Cortex-M with the DSP extension `patch` takes every pointwise layer
    // with at most `patch::MAX_PATCH` input channels: `pointwise`'s unrolled
    // tiles (10 KB of flash there) would serve only wider ones, so `direct` does.
    if is_pointwise(p) && !cfg!(all(target_arch = "arm", target_feature = "dsp")) {
        let hw = p.in_h * p.in_w;
        for n in 0..p.batch {
            let (xs, os) = (
                x.get(n * p.in_channels * hw..).unwrap_or(&[]),
                out.get_mut(n * p.out_channels * hw..).unwrap_or(&mut []),
            );
            pointwise(xs, x_zp, w, os, p.in_channels, p.out_channels, hw, &rq);
        }
    } else {
        direct(x, x_zp, w, out, p, &rq);
    }
}

/// A 1×1, stride 1, unpadded, one-group convolution whose slices hold every
/// element the shapes promise, with few enough input channels for `qgemm`.
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline]
pub(crate) fn pointwise_fits(x: &[i8], w: &[i8], out: &[i8], p: &Conv2d) -> bool {
    is_pointwise(p) && p.out_h * p.out_w == p.in_h * p.in_w && p.in_channels <= crate::quant::gemm::MAX_CIN && holds(x, w, out, p)
}

/// Runs a 1×1 kernel `k(x, out, cin, cout, hw)` on each image, once
/// `pointwise_fits` has checked that every image's slices are there.
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn each_image(x: &[i8], out: &mut [i8], p: &Conv2d, k: impl Fn(&[i8], &mut [i8], usize, usize, usize)) {
    let (hw, cin, cout) = (p.in_h * p.in_w, p.in_channels, p.out_channels);
    for n in 0..p.batch {
        k(&x[n * cin * hw..], &mut out[n * cout * hw..], cin, cout, hw);
    }
}

/// The slices hold every element the shapes promise.
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"), feature = "threads"))]
#[inline]
pub(crate) fn holds(x: &[i8], w: &[i8], out: &[i8], p: &Conv2d) -> bool {
    let icg = p.in_channels / p.groups.max(1);
    x.len() >= p.batch * p.in_channels * p.in_h * p.in_w
        && w.len() >= p.out_channels * icg * p.kernel_h * p.kernel_w
        && out.len() >= p.batch * p.out_channels * p.out_h * p.out_w
}

/// Output channels per block: each activation row loaded serves four.
const CO: usize = 4;

/// Columns per register tile of the pointwise kernel.
const NR: usize = 16;

/// `out[co][j] = Σ_ci w[co][ci] · (x[ci][j] - x_zp)` as `Σ w·x - x_zp · Σ w`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn pointwise(
    x: &[i8],
    x_zp: i32,
    w: &[i8],
    out: &mut [i8],
    cin: usize,
    cout: usize,
    hw: usize,
    rq: &Requant<'_>,
) {
    if hw == 0 || cin == 0 {
        return;
    }
    for co0 in (0..cout).step_by(CO) {
        let rows = (cout - co0).min(CO);
        let mut wsum = [0i32; CO];
        for (r, s) in wsum.iter_mut().enumerate().take(rows) {
            *s = w
                .iter()
                .skip((co0 + r) * cin)
                .take(cin)
                .map(|&v| i32::from(v))
                .sum();
        }
        let wrows: [&[i8]; CO] =
            core::array::from_fn(|r| w.get((co0 + r) * cin..(co0 + r + 1) * cin).unwrap_or(&[]));
        let mut j0 = 0;
        if rows == CO && wrows.iter().all(|r| r.len() == cin) {
            // A 4 × 16 tile of sums stays in registers while `ci` runs.
            while j0 + NR <= hw {
                let mut acc = [[0i32; NR]; CO];
                for ci in 0..cin {
                    let Some(xr) = x.get(ci * hw + j0..ci * hw + j0 + NR) else {
                        break;
                    };
                    let xv: [i32; NR] = core::array::from_fn(|t| i32::from(xr[t]));
                    for (acc, wr) in acc.iter_mut().zip(&wrows) {
                        let wv = i32::from(wr[ci]);
                        acc.iter_mut().zip(&xv).for_each(|(a, &v)| *a += wv * v);
                    }
                }
                for (r, acc) in acc.iter_mut().enumerate() {
                    let co = co0 + r;
                    let shift = x_zp * wsum[r];
                    acc.iter_mut().for_each(|a| *a -= shift);
                    let Some(o) = out.get_mut(co * hw + j0..co * hw + j0 + NR) else {
                        continue;
                    };
                    rq.row(co, acc, o);
                }
                j0 += NR;
            }
        }
        // The last columns, and a last block of fewer rows.
        for j0 in (j0..hw).step_by(ROW) {
            let len = (hw - j0).min(ROW);
            let mut acc = [[0i32; ROW]; CO];
            for ci in 0..cin {
                let Some(xr) = x.get(ci * hw + j0..ci * hw + j0 + len) else {
                    break;
                };
                for (r, acc) in acc.iter_mut().enumerate().take(rows) {
                    let wv = i16::from(w.get((co0 + r) * cin + ci).copied().unwrap_or(0));
                    acc.iter_mut()
                        .zip(xr)
                        .for_each(|(a, &v)| *a += i32::from(wv * i16::from(v)));
                }
            }
            for (r, acc) in acc.iter_mut().enumerate().take(rows) {
                let co = co0 + r;
                let shift = x_zp * wsum[r];
                acc.iter_mut().for_each(|a| *a -= shift);
                let Some(o) = out.get_mut(co * hw + j0..co * hw + j0 + len) else {
                    continue;
                };
                rq.row(co, &acc[..len], o);
            }
        }
    }
}

/// Input row elements (with padding) a pass can hold, over all stride phases.
const PADDED: usize = 1024;

/// Any kernel, stride, padding, dilation and groups: one output row at a time.
/// Each input row is widened once to `x - x_zp` with zeros for padding and
/// split by stride phase, so every tap is a contiguous multiply-add.
#[cfg_attr(not(target_arch = "arm"), inline(always))]
#[cfg_attr(target_arch = "arm", inline(never))]
fn direct(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
    let groups = p.groups.max(1);
    let (icg, ocg) = (p.in_channels / groups, p.out_channels / groups);
    let sw = p.stride_w.max(1);
    let (in_plane, out_plane) = (p.in_h * p.in_w, p.out_h * p.out_w);
    let taps = p.kernel_h * p.kernel_w;
    let padded = p.in_w + 2 * p.pad_w;
    // Elements per phase: column `c` of the padded row sits at `(c % sw) * per + c / sw`.
    let per = padded.div_ceil(sw);
    if per == 0 || per * sw > PADDED || p.out_w > ROW {
        return direct_wide(x, x_zp, w, out, p, rq);
    }
    let zp = x_zp as i16;
    let mut buf = [0i16; PADDED];
    for n in 0..p.batch {
        for co in 0..p.out_channels {
            let g = co / ocg.max(1);
            for oy in 0..p.out_h {
                let mut acc = [0i32; ROW];
                let acc = &mut acc[..p.out_w];
                for cl in 0..icg {
                    let plane = (n * p.in_channels + g * icg + cl) * in_plane;
                    for ky in 0..p.kernel_h {
                        let iy = (oy * p.stride_h + ky * p.dilation_h).wrapping_sub(p.pad_h);
                        if iy >= p.in_h {
                            continue;
                        }
                        let Some(xrow) = x.get(plane + iy * p.in_w..plane + (iy + 1) * p.in_w)
                        else {
                            continue;
                        };
                        widen(&mut buf[..per * sw], xrow, zp, p.pad_w, sw, per);
                        let wrow = (co * icg + cl) * taps + ky * p.kernel_w;
                        for kx in 0..p.kernel_w {
                            let wv = i16::from(w.get(wrow + kx).copied().unwrap_or(0));
                            let c = kx * p.dilation_w;
                            let start = (c % sw) * per + c / sw;
                            let src = buf.get(start..start + p.out_w).unwrap_or(&[]);
                            mac_row(acc, src, wv);
                        }
                    }
                }
                let at = (n * p.out_channels + co) * out_plane + oy * p.out_w;
                let Some(o) = out.get_mut(at..at + p.out_w) else {
                    continue;
                };
                rq.row(co, acc, o);
            }
        }
    }
}

/// `acc[i] += wv · src[i]`, one tap over an output row. Cortex-M takes it
/// four at a time: as one zip, LLVM spilled the loop's registers there.
#[inline(always)]
fn mac_row(acc: &mut [i32], src: &[i16], wv: i16) {
    #[cfg(not(target_arch = "arm"))]
    acc.iter_mut().zip(src).for_each(|(a, &v)| *a += i32::from(wv * v));
    #[cfg(target_arch = "arm")]
    mac_row_by_four(acc, src, wv);
}

#[cfg(any(target_arch = "arm", test))]
#[inline(always)]
fn mac_row_by_four(acc: &mut [i32], src: &[i16], wv: i16) {
    let n = acc.len().min(src.len());
    let (acc, src) = (&mut acc[..n], &src[..n]);
    let mut a4 = acc.chunks_exact_mut(4);
    let mut s4 = src.chunks_exact(4);
    for (a, s) in (&mut a4).zip(&mut s4) {
        a.iter_mut().zip(s).for_each(|(a, &v)| *a += i32::from(wv * v));
    }
    a4.into_remainder().iter_mut().zip(s4.remainder()).for_each(|(a, &v)| *a += i32::from(wv * v));
}

/// `buf[(c % sw) * per + c / sw] = x[c - pad] - zp` over the padded row, zero in the padding.
#[inline(always)]
fn widen(buf: &mut [i16], xrow: &[i8], zp: i16, pad: usize, sw: usize, per: usize) {
    buf.fill(0);
    if sw == 1 {
        let dst = buf.get_mut(pad..).unwrap_or(&mut []);
        dst.iter_mut()
            .zip(xrow)
            .for_each(|(d, &v)| *d = i16::from(v) - zp);
        return;
    }
    for (ph, dst) in buf.chunks_exact_mut(per).enumerate() {
        // Column `ph + j*sw` is input `ph + j*sw - pad`: the first `j` inside the row.
        let j0 = pad.saturating_sub(ph).div_ceil(sw);
        let src = xrow
            .get(j0 * sw + ph - pad..)
            .unwrap_or(&[])
            .iter()
            .step_by(sw);
        dst.iter_mut()
            .skip(j0)
            .zip(src)
            .for_each(|(d, &v)| *d = i16::from(v) - zp);
    }
}

/// Rows too wide for the stack buffers: tap by tap with strided reads.
#[cold]
fn direct_wide(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
    let groups = p.groups.max(1);
    let (icg, ocg) = (p.in_channels / groups, p.out_channels / groups);
    let (sh, sw) = (p.stride_h.max(1), p.stride_w.max(1));
    let (in_plane, out_plane) = (p.in_h * p.in_w, p.out_h * p.out_w);
    let taps = p.kernel_h * p.kernel_w;
    let zp = x_zp as i16;
    for n in 0..p.batch {
        for co in 0..p.out_channels {
            let g = co / ocg.max(1);
            for oy in 0..p.out_h {
                for ox0 in (0..p.out_w).step_by(ROW) {
                    let len = (p.out_w - ox0).min(ROW);
                    let mut acc = [0i32; ROW];
                    for cl in 0..icg {
                        let plane = (n * p.in_channels + g * icg + cl) * in_plane;
                        for ky in 0..p.kernel_h {
                            let iy = (oy * sh + ky * p.dilation_h).wrapping_sub(p.pad_h);
                            if iy >= p.in_h {
                                continue;
                            }
                            let Some(xrow) = x.get(plane + iy * p.in_w..plane + (iy + 1) * p.in_w)
                            else {
                                continue;
                            };
                            for kx in 0..p.kernel_w {
                                let wv = i16::from(
                                    w.get((co * icg + cl) * taps + ky * p.kernel_w + kx)
                                        .copied()
                                        .unwrap_or(0),
                                );
                                let off = kx * p.dilation_w;
                                // Outputs whose input column `ox*sw + off - pad` is inside the row.
                                let lo = p.pad_w.saturating_sub(off).div_ceil(sw).max(ox0);
                                let hi = (p.in_w + p.pad_w)
                                    .saturating_sub(off)
                                    .div_ceil(sw)
                                    .min(ox0 + len);
                                if lo >= hi {
                                    continue;
                                }
                                let start = lo * sw + off - p.pad_w;
                                let cols = xrow.get(start..).unwrap_or(&[]).iter().step_by(sw);
                                let span = acc.get_mut(lo - ox0..hi - ox0).unwrap_or(&mut []);
                                for (a, &v) in span.iter_mut().zip(cols) {
                                    *a += i32::from(wv * (i16::from(v) - zp));
                                }
                            }
                        }
                    }
                    let at = (n * p.out_channels + co) * out_plane + oy * p.out_w + ox0;
                    let Some(o) = out.get_mut(at..at + len) else {
                        continue;
                    };
                    rq.row(co, acc.get(..len).unwrap_or(&[]), o);
                }
            }
        }
    }
}

/// `out[i][j] = requant(Σ_k (a[i][k] - a_zp) · w[j][k])`: `a` is `[m, k]`, `w` is `[n, k]` (a linear layer's rows).
#[allow(clippy::too_many_arguments)]
pub fn qlinear(a: &[i8], a_zp: i32, w: &[i8], out: &mut [i8], m: usize, k: usize, n: usize, rq: Requant<'_>) {
    #[cfg(feature = "threads")]
    if crate::quant::split::qlinear(a, a_zp, w, out, m, k, n, rq) {
        return;
    }
    qlinear_one(a, a_zp, w, out, m, k, n, rq);
}

avx2_clone! {
    /// `qlinear` on the calling thread.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn qlinear_one(a: &[i8], a_zp: i32, w: &[i8], out: &mut [i8], m: usize, k: usize, n: usize, rq: Requant<'_>) => qlinear_body
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn qlinear_body(
    a: &[i8],
    a_zp: i32,
    w: &[i8],
    out: &mut [i8],
    m: usize,
    k: usize,
    n: usize,
    rq: Requant<'_>,
) {
    if k == 0 {
        return;
    }
    for (row, o) in a.chunks_exact(k).zip(out.chunks_mut(n.max(1))).take(m) {
        for (j, (wr, o)) in w.chunks_exact(k).zip(o.iter_mut()).take(n).enumerate() {
            let dot = crate::quant::dot::dot(row, wr);
            let wsum: i32 = wr.iter().map(|&v| i32::from(v)).sum();
            let (s, b) = (
                rq.scale.get(j).copied().unwrap_or(0.0),
                rq.bias.get(j).copied().unwrap_or(0.0),
            );
            *o = rq.out.quantize((dot - a_zp * wsum) as f32 * s + b);
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
    use crate::quant::affine::{dequantize, quantize};

    #[allow(clippy::too_many_arguments)]
    /// The float reference: dequantize, ExecuTorch's f32 convolution, quantize.
    fn reference(
        x: &[i8],
        zx: i32,
        sx: f32,
        w: &[i8],
        sw: &[f32],
        bias: &[f32],
        p: &Conv2d,
        out: Out,
    ) -> Vec<i8> {
        let mut xf = vec![0.0f32; x.len()];
        dequantize(x, &mut xf, sx, zx);
        let per = w.len() / p.out_channels;
        let wf: Vec<f32> = w
            .iter()
            .enumerate()
            .map(|(i, &v)| f32::from(v) * sw[i / per])
            .collect();
        let mut yf = vec![0.0f32; p.batch * p.out_channels * p.out_h * p.out_w];
        conv2d(&xf, &wf, Some(bias), &mut yf, p);
        let mut q = vec![0i8; yf.len()];
        quantize(&yf, &mut q, out.inv_scale, out.zero_point, out.min, out.max);
        q
    }

    #[allow(clippy::too_many_arguments)]
    #[rustfmt::skip]
    fn params(n: usize, cin: usize, h: usize, w: usize, cout: usize, k: usize, s: usize, pad: usize, g: usize) -> Conv2d {
        let o = |len: usize| (len + 2 * pad - k) / s + 1;
        Conv2d {
            batch: n, in_channels: cin, in_h: h, in_w: w, out_channels: cout, kernel_h: k, kernel_w: k,
            stride_h: s, stride_w: s, pad_h: pad, pad_w: pad, dilation_h: 1, dilation_w: 1, groups: g,
            out_h: o(h), out_w: o(w),
        }
    }

    #[test]
    fn matches_dequantize_conv_quantize() {
        let mut rng = crate::testutil::Lcg(11);
        let mut byte = || (rng.next_f32() * 127.9) as i8;
        // pointwise, depthwise stride 1 and 2, a full 3x3, a wide row past one accumulator pass
        let shapes = [
            params(1, 16, 5, 7, 9, 1, 1, 0, 1),
            params(2, 20, 6, 7, 8, 1, 1, 0, 1),
            params(2, 8, 9, 9, 8, 3, 1, 1, 8),
            params(1, 6, 10, 11, 6, 3, 2, 1, 6),
            params(1, 3, 9, 8, 5, 3, 2, 1, 1),
            params(1, 2, 3, 300, 3, 3, 1, 1, 1),
            params(1, 2, 4, 700, 2, 3, 2, 1, 2),
        ];
        for p in shapes {
            let x: Vec<i8> = (0..p.batch * p.in_channels * p.in_h * p.in_w)
                .map(|_| byte())
                .collect();
            let wl = p.out_channels * p.in_channels / p.groups * p.kernel_h * p.kernel_w;
            let w: Vec<i8> = (0..wl).map(|_| byte().clamp(-127, 127)).collect();
            let sw: Vec<f32> = (0..p.out_channels)
                .map(|c| 0.001 + 0.0005 * c as f32)
                .collect();
            let bias: Vec<f32> = (0..p.out_channels).map(|c| 0.1 * c as f32 - 0.2).collect();
            let (sx, zx) = (0.02f32, -5);
            let out = Out {
                inv_scale: 1.0 / 0.03f32,
                zero_point: 3,
                min: -128,
                max: 100,
            };
            let want = reference(&x, zx, sx, &w, &sw, &bias, &p, out);
            let scale: Vec<f32> = sw.iter().map(|&s| sx * s).collect();
            let mut got = vec![0i8; want.len()];
            qconv2d(
                &x,
                zx,
                &w,
                &mut got,
                &p,
                Requant {
                    scale: &scale,
                    bias: &bias,
                    out,
                },
            );
            // f32 sums in another order may flip a rounding: allow one step, rarely.
            let off: Vec<usize> = (0..got.len()).filter(|&i| got[i] != want[i]).collect();
            assert!(
                off.iter()
                    .all(|&i| (i32::from(got[i]) - i32::from(want[i])).abs() <= 1),
                "{p:?}"
            );
            assert!(
                off.len() * 100 <= got.len(),
                "{} of {} differ in {p:?}",
                off.len(),
                got.len()
            );
            assert!(
                got.iter().any(|&v| v != got[0]),
                "a constant output tests nothing"
            );
        }
    }

    /// Cortex-M with DSP runs pointwise layers too wide for `patch` on `direct`: the same bits as `pointwise`.
    #[test]
    fn direct_matches_pointwise() {
        let mut rng = crate::testutil::Lcg(17);
        for p in [params(1, 40, 3, 5, 7, 1, 1, 0, 1), params(2, 9, 2, 150, 5, 1, 1, 0, 1)] {
            let x: Vec<i8> = (0..p.batch * p.in_channels * p.in_h * p.in_w).map(|_| (rng.next_f32() * 127.0) as i8).collect();
            let w: Vec<i8> = (0..p.out_channels * p.in_channels).map(|_| (rng.next_f32() * 127.0) as i8).collect();
            let scale: Vec<f32> = (0..p.out_channels).map(|c| 0.0003 * (c + 1) as f32).collect();
            let bias: Vec<f32> = (0..p.out_channels).map(|c| 0.1 * c as f32 - 0.2).collect();
            let out = Out { inv_scale: 25.0, zero_point: -3, min: -128, max: 127 };
            let rq = Requant { scale: &scale, bias: &bias, out };
            let n = p.batch * p.out_channels * p.out_h * p.out_w;
            let (mut got, mut want) = (vec![0i8; n], vec![0i8; n]);
            direct(&x, 6, &w, &mut got, &p, &rq);
            let hw = p.in_h * p.in_w;
            for b in 0..p.batch {
                let (xs, os) = (&x[b * p.in_channels * hw..], &mut want[b * p.out_channels * hw..]);
                pointwise(xs, 6, &w, os, p.in_channels, p.out_channels, hw, &rq);
            }
            assert_eq!(got, want, "{p:?}");
            assert!(got.iter().any(|&v| v != got[0]), "a constant output tests nothing");
        }
    }

    #[test]
    fn mac_row_by_four_is_the_plain_loop() {
        let src: Vec<i16> = (0..11).map(|i| i * 37 - 200).collect();
        // The shorter of the two bounds the row, as in the zip.
        for (n, m) in (0..=11).flat_map(|n| (0..=11).map(move |m| (n, m))) {
            let mut want: Vec<i32> = (0..n).map(|i| i * 5 - 9).collect();
            let mut got = want.clone();
            want.iter_mut().zip(&src[..m]).for_each(|(a, &v)| *a += i32::from(-71 * v));
            mac_row_by_four(&mut got, &src[..m], -71);
            assert_eq!(got, want, "{n} {m}");
        }
    }

    #[test]
    fn linear_matches_the_pointwise_convolution() {
        let mut rng = crate::testutil::Lcg(5);
        let (m, k, n) = (3, 37, 10);
        let a: Vec<i8> = (0..m * k).map(|_| (rng.next_f32() * 127.0) as i8).collect();
        let w: Vec<i8> = (0..n * k).map(|_| (rng.next_f32() * 127.0) as i8).collect();
        let scale: Vec<f32> = (0..n).map(|j| 0.0004 * (j + 1) as f32).collect();
        let bias: Vec<f32> = (0..n).map(|j| j as f32 * 0.05).collect();
        let rq = Requant {
            scale: &scale,
            bias: &bias,
            out: Out {
                inv_scale: 20.0,
                zero_point: -2,
                min: -128,
                max: 127,
            },
        };
        let mut got = vec![0i8; m * n];
        qlinear(&a, 4, &w, &mut got, m, k, n, rq);
        for i in 0..m {
            // Row i of `a` as a 1x1 image with k channels.
            let p = params(1, k, 1, 1, n, 1, 1, 0, 1);
            let mut want = vec![0i8; n];
            qconv2d(&a[i * k..(i + 1) * k], 4, &w, &mut want, &p, rq);
            assert_eq!(&got[i * n..(i + 1) * n], &want[..], "row {i}");
            // And one entry by hand.
            let dot: i32 = (0..k)
                .map(|t| (i32::from(a[i * k + t]) - 4) * i32::from(w[t]))
                .sum();
            assert_eq!(got[i * n], rq.out.quantize(dot as f32 * scale[0] + bias[0]));
        }
    }
}
