//! One-group int8 convolution as dot products (`quant::dot`): per output
//! position the input patch `[in_c, kh, kw]` is gathered once (padding holds
//! the zero point, a real 0), then each output channel is one dot product of
//! its weight row with the patch. Cortex-M builds take it, where the dot
//! product runs on the DSP extension; `sum - x_zp · Σ w` is the exact sum of
//! `(x - x_zp) · w`, as in `quant::conv`.

use crate::conv::im2col::Conv2d;
use crate::quant::conv::Requant;
use crate::quant::dot::dot;

/// The longest patch (`in_c · kh · kw`) the stack buffer holds.
pub const MAX_PATCH: usize = 1024;

/// Whether `qconv2d_patch` covers `p`.
pub fn supports(p: &Conv2d) -> bool {
    let patch = p.in_channels * p.kernel_h * p.kernel_w;
    p.groups == 1 && patch > 0 && patch <= MAX_PATCH
}

/// NCHW int8 convolution with one group, weight `[out_c, in_c, kh, kw]`.
pub fn qconv2d_patch(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>) {
    let len = p.in_channels * p.kernel_h * p.kernel_w;
    if len == 0 || len > MAX_PATCH {
        return;
    }
    let out_plane = p.out_h * p.out_w;
    let zp = x_zp.clamp(-128, 127) as i8;
    let mut buf = [0i8; MAX_PATCH];
    let patch = buf.get_mut(..len).unwrap_or(&mut []);
    // Output channels in blocks, so each block's weight sums and requantization
    // constants are found once, on the stack beside the loop.
    for co0 in (0..p.out_channels).step_by(CO_BLOCK) {
        let nb = CO_BLOCK.min(p.out_channels - co0);
        let Some(wb) = w.get(co0 * len..(co0 + nb) * len) else { return };
        let (mut zs, mut sc, mut bi) = ([0i32; CO_BLOCK], [0f32; CO_BLOCK], [0f32; CO_BLOCK]);
        let slots = zs.iter_mut().zip(sc.iter_mut().zip(bi.iter_mut()));
        for (r, (wr, (z, (s, b)))) in wb.chunks_exact(len).zip(slots).enumerate() {
            *z = x_zp * wr.iter().map(|&v| i32::from(v)).sum::<i32>();
            *s = rq.scale.get(co0 + r).copied().unwrap_or(0.0);
            *b = rq.bias.get(co0 + r).copied().unwrap_or(0.0);
        }
        for n in 0..p.batch {
            for oy in 0..p.out_h {
                for ox in 0..p.out_w {
                    gather(x, patch, p, n, oy, ox, zp);
                    let at = (n * p.out_channels + co0) * out_plane + oy * p.out_w + ox;
                    let Some(dst) = out.get_mut(at..) else { return };
                    let consts = zs.iter().zip(&sc).zip(&bi);
                    for ((wr, ((&z, &s), &b)), o) in wb.chunks_exact(len).zip(consts).zip(dst.iter_mut().step_by(out_plane.max(1))) {
                        *o = rq.out.quantize((dot(wr, patch) - z) as f32 * s + b);
                    }
                }
            }
        }
    }
}

/// Output channels per block: their weight sums, scales and biases stay on the stack.
const CO_BLOCK: usize = 64;

/// The input patch `[in_c, kh, kw]` of output `(oy, ox)` of image `n`, the zero point in the padding.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gather(x: &[i8], patch: &mut [i8], p: &Conv2d, n: usize, oy: usize, ox: usize, zp: i8) {
    let in_plane = p.in_h * p.in_w;
    let mut k = 0;
    for ci in 0..p.in_channels {
        let plane = (n * p.in_channels + ci) * in_plane;
        for ky in 0..p.kernel_h {
            let iy = (oy * p.stride_h + ky * p.dilation_h).wrapping_sub(p.pad_h);
            for kx in 0..p.kernel_w {
                let ix = (ox * p.stride_w + kx * p.dilation_w).wrapping_sub(p.pad_w);
                let v = if iy < p.in_h && ix < p.in_w { x.get(plane + iy * p.in_w + ix).copied() } else { None };
                if let Some(slot) = patch.get_mut(k) {
                    *slot = v.unwrap_or(zp);
                }
                k += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quant::affine::Out;
    use crate::quant::conv::qconv2d_portable;

    /// Against the reference int8 convolution, on strided, padded, dilated and pointwise shapes.
    #[test]
    fn matches_the_reference_convolution() {
        let mut seed = 0x2545_f491u32;
        let mut byte = move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            (seed >> 24) as i8
        };
        for &(cin, cout, h, w_, k, s, pad, d) in &[
            (3, 8, 9, 7, 3, 2, 1, 1),
            (8, 5, 6, 6, 1, 1, 0, 1),
            (4, 6, 7, 5, 3, 1, 2, 2),
            (1, 4, 11, 4, 5, 2, 2, 1),
            (6, 70, 4, 3, 1, 1, 0, 1),
        ] {
            let out_h = (h + 2 * pad - d * (k - 1) - 1) / s + 1;
            let out_w = (w_ + 2 * pad - d * (k - 1) - 1) / s + 1;
            let p = Conv2d {
                batch: 2, in_channels: cin, in_h: h, in_w: w_, out_channels: cout, kernel_h: k, kernel_w: k,
                stride_h: s, stride_w: s, pad_h: pad, pad_w: pad, dilation_h: d, dilation_w: d, groups: 1, out_h, out_w,
            };
            let x: std::vec::Vec<i8> = (0..2 * cin * h * w_).map(|_| byte()).collect();
            let wt: std::vec::Vec<i8> = (0..cout * cin * k * k).map(|_| byte()).collect();
            let scale: std::vec::Vec<f32> = (0..cout).map(|c| 0.0004 + 0.0001 * c as f32).collect();
            let bias: std::vec::Vec<f32> = (0..cout).map(|c| 0.1 * c as f32 - 0.2).collect();
            let rq = Requant { scale: &scale, bias: &bias, out: Out { inv_scale: 1.0 / 0.05, zero_point: -3, min: -128, max: 127 } };
            let n = 2 * cout * out_h * out_w;
            let (mut got, mut want) = (std::vec![0i8; n], std::vec![0i8; n]);
            qconv2d_patch(&x, 5, &wt, &mut got, &p, &rq);
            qconv2d_portable(&x, 5, &wt, &mut want, &p, rq);
            assert_eq!(got, want, "{cin} {cout} {h}x{w_} k{k} s{s} p{pad} d{d}");
        }
    }
}
