//! Int8 depthwise convolution (one input channel per output channel) for
//! cores without vector units, as on Cortex-M: each output sums its `K × K`
//! taps straight from the int8 input rows, with bounds checked once per
//! kernel row; outputs whose taps reach past the row's ends take a slower loop.
//!
//! `Σ (x - x_zp) · w` is taken as `Σ x · w - x_zp · Σ w` over the taps inside
//! the image, which is the same exact i32 sum: padding taps are skipped, as
//! in `quant::conv`, so the requantization gives the same bits.

use crate::conv::im2col::Conv2d;
use crate::quant::conv::Requant;

/// Output columns per row of sums (on the stack).
const ROW: usize = 128;

/// Whether `depthwise` covers `p`: 3 × 3 kernels (each kernel size is its own
/// copy in flash, and 3 × 3 is what the models use), no dilation, rows of at
/// most `ROW` outputs.
pub fn supports(p: &Conv2d) -> bool {
    let k = p.kernel_h;
    p.groups == p.in_channels
        && p.out_channels == p.in_channels
        && p.kernel_w == k
        && k == 3
        && p.dilation_h == 1
        && p.dilation_w == 1
        && p.stride_h > 0
        && p.stride_w > 0
        && p.out_w <= ROW
}

/// NCHW depthwise convolution, weight `[c, 1, k, k]`; `supports(p)` holds.
pub fn depthwise(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
    if p.kernel_h == 3 {
        planes::<3>(x, x_zp, w, out, p, rq);
    }
}

// Out of line: inlined into `qconv2d`, its loops lost registers (vww_int8: 50.8 M
// instructions per inference on the M4 against 49.7 M).
#[inline(never)]
fn planes<const K: usize>(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
    let (in_plane, out_plane) = (p.in_h * p.in_w, p.out_h * p.out_w);
    let (sw, pw) = (p.stride_w.max(1), p.pad_w);
    // Outputs `lo..hi` read only columns inside the row.
    let lo = pw.div_ceil(sw).min(p.out_w);
    let hi = if p.in_w + pw >= K { (p.in_w + pw - K) / sw + 1 } else { 0 };
    let hi = hi.clamp(lo, p.out_w);
    let mut sums = [0i32; ROW];
    let Some(acc) = sums.get_mut(..p.out_w) else { return };
    for n in 0..p.batch {
        for c in 0..p.in_channels {
            let at = (n * p.in_channels + c) * in_plane;
            let plane = x.get(at..at + in_plane).unwrap_or(&[]);
            let Some(wc) = w.get(c * K * K..(c + 1) * K * K) else { return };
            let mut wk = [[0i32; K]; K];
            for (d, &v) in wk.iter_mut().flatten().zip(wc) {
                *d = i32::from(v);
            }
            for oy in 0..p.out_h {
                // The kernel rows inside the image (the others stay empty) and their `x_zp · Σ w`.
                let mut rows: [&[i8]; K] = [&[]; K];
                let mut zw = 0;
                for (ky, (r, wr)) in rows.iter_mut().zip(&wk).enumerate() {
                    let iy = (oy * p.stride_h + ky).wrapping_sub(p.pad_h);
                    if iy >= p.in_h {
                        continue;
                    }
                    if let Some(row) = plane.get(iy * p.in_w..(iy + 1) * p.in_w) {
                        *r = row;
                        zw += x_zp * wr.iter().sum::<i32>();
                    }
                }
                for (ox, a) in acc.iter_mut().enumerate().take(hi).skip(lo) {
                    let base = ox * sw - pw;
                    let mut s = 0;
                    for (r, wr) in rows.iter().zip(&wk) {
                        if let Some(t) = r.get(base..).and_then(<[i8]>::first_chunk::<K>) {
                            for k in 0..K {
                                s += i32::from(t[k]) * wr[k];
                            }
                        }
                    }
                    *a = s - zw;
                }
                // Border outputs: only the taps inside the row.
                for ox in (0..lo).chain(hi..p.out_w) {
                    let mut s = 0;
                    for (r, wr) in rows.iter().zip(&wk) {
                        for (k, &wv) in wr.iter().enumerate() {
                            if let Some(&v) = r.get((ox * sw + k).wrapping_sub(pw)) {
                                s += (i32::from(v) - x_zp) * wv;
                            }
                        }
                    }
                    if let Some(a) = acc.get_mut(ox) {
                        *a = s;
                    }
                }
                let at = (n * p.out_channels + c) * out_plane + oy * p.out_w;
                if let Some(o) = out.get_mut(at..at + p.out_w) {
                    rq.row(c, acc, o);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::quant::affine::Out;
    use crate::quant::conv::qconv2d_portable;
    use std::vec::Vec;

    /// Against the reference int8 convolution: 3×3, strides 1 and 2, padding 0
    /// to 2, images narrower than the kernel's reach.
    #[test]
    fn matches_the_reference_convolution() {
        let mut seed = 0x9e37_79b9u32;
        let mut byte = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed >> 24) as i8
        };
        let mut cases = 0;
        for &(c, h, w_) in &[(3, 9, 7), (5, 6, 13), (2, 4, 3), (4, 12, 12)] {
            for k in [3] {
                for s in [1, 2] {
                    for pad in [0, 1, 2] {
                        if h + 2 * pad < k || w_ + 2 * pad < k {
                            continue;
                        }
                        let (out_h, out_w) = ((h + 2 * pad - k) / s + 1, (w_ + 2 * pad - k) / s + 1);
                        let p = Conv2d {
                            batch: 2, in_channels: c, in_h: h, in_w: w_, out_channels: c, kernel_h: k, kernel_w: k,
                            stride_h: s, stride_w: s, pad_h: pad, pad_w: pad, dilation_h: 1, dilation_w: 1, groups: c,
                            out_h, out_w,
                        };
                        assert!(supports(&p));
                        let x: Vec<i8> = (0..2 * c * h * w_).map(|_| byte()).collect();
                        let wt: Vec<i8> = (0..c * k * k).map(|_| byte()).collect();
                        let scale: Vec<f32> = (0..c).map(|i| 0.0004 + 0.0001 * i as f32).collect();
                        let bias: Vec<f32> = (0..c).map(|i| 0.1 * i as f32 - 0.2).collect();
                        let out = Out { inv_scale: 1.0 / 0.05, zero_point: -3, min: -128, max: 127 };
                        let rq = Requant { scale: &scale, bias: &bias, out };
                        let n = 2 * c * out_h * out_w;
                        let (mut got, mut want) = (std::vec![0i8; n], std::vec![0i8; n]);
                        depthwise(&x, 7, &wt, &mut got, &p, &rq);
                        qconv2d_portable(&x, 7, &wt, &mut want, &p, rq);
                        assert_eq!(got, want, "c{c} {h}x{w_} k{k} s{s} p{pad}");
                        cases += 1;
                    }
                }
            }
        }
        assert!(cases > 15, "{cases} shapes");
    }
}
