//! Patch-based execution of a chain of int8 convolutions (MCUNetV2): the chain
//! runs once per patch of its last output, on buffers that hold each stage's
//! region of one patch with its halo, so its large early activations never
//! exist whole.
//!
//! Regions are in their image's coordinates and may reach past its border.
//! Positions outside hold the zero point, the padding the unpatched
//! convolution skips (`(x - x_zp) · w` is 0 there), so every stage runs
//! unpadded and the outputs inside the image are the unpatched ones bit for
//! bit; halos are computed again by each patch that needs them.

use crate::conv::im2col::Conv2d;
use crate::quant::conv::{qconv2d, Requant};

/// One region per patch: patch `(i, j)` covers `len` rows and columns from
/// `origin + (i, j) · step` of a `channels × image` tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub channels: usize,
    pub image: [usize; 2],
    pub origin: [isize; 2],
    pub step: [usize; 2],
    pub len: [usize; 2],
}

impl Region {
    fn start(&self, i: usize, j: usize) -> [isize; 2] {
        [
            self.origin[0] + (i * self.step[0]) as isize,
            self.origin[1] + (j * self.step[1]) as isize,
        ]
    }

    /// Elements of one patch's buffer.
    pub const fn numel(&self) -> usize {
        self.channels * self.len[0] * self.len[1]
    }
}

/// One convolution of the chain.
#[derive(Clone, Copy, Debug)]
pub struct Stage<'a> {
    pub w: &'a [i8],
    pub x_zp: i32,
    /// Unpadded, from the previous region's `len` to `out.len`.
    pub conv: Conv2d,
    pub rq: Requant<'a>,
    pub out: Region,
}

/// Runs `stages` over `x` (a whole `input` image) patch by patch of a
/// `grid`, writing the last stage's whole image into `out`. `scratch` holds
/// the input patch and the stage buffers: consecutive ones sit at its two
/// ends, so it needs the largest sum of two consecutive buffers.
pub fn run(
    x: &[i8],
    input: Region,
    out: &mut [i8],
    scratch: &mut [i8],
    grid: [usize; 2],
    stages: &[Stage<'_>],
) {
    let total = scratch.len();
    for i in 0..grid[0] {
        for j in 0..grid[1] {
            let Some(first) = stages.first() else { return };
            gather(x, &input, input.start(i, j), first.x_zp, scratch);
            // Stage `s` reads the bottom end and writes the top one when `s` is even.
            let mut in_len = input.numel();
            for (s, stage) in stages.iter().enumerate() {
                let out_len = stage.out.numel();
                let (src, dst) = if s % 2 == 0 {
                    let Some((lo, hi)) =
                        scratch.split_at_mut_checked(total.saturating_sub(out_len))
                    else {
                        return;
                    };
                    (lo.get(..in_len).unwrap_or(&[]), hi)
                } else {
                    let Some((lo, hi)) = scratch.split_at_mut_checked(out_len) else {
                        return;
                    };
                    (hi.get(hi.len().saturating_sub(in_len)..).unwrap_or(&[]), lo)
                };
                qconv2d(src, stage.x_zp, stage.w, dst, &stage.conv, stage.rq);
                match stages.get(s + 1) {
                    Some(next) => fill_outside(dst, &stage.out, stage.out.start(i, j), next.x_zp),
                    None => scatter(dst, &stage.out, stage.out.start(i, j), out),
                }
                in_len = out_len;
            }
        }
    }
}

/// The in-image rows `0..len` from `start` hit: `(first row, rows)` in the region.
fn inside(start: isize, len: usize, image: usize) -> (usize, usize) {
    let lo = (-start).max(0).min(len as isize) as usize;
    let hi = (image as isize - start).max(0).min(len as isize) as usize;
    (lo, hi.saturating_sub(lo))
}

/// Copies the region at `start` of `x` into `buf`, `fill` outside the image.
fn gather(x: &[i8], r: &Region, start: [isize; 2], fill: i32, buf: &mut [i8]) {
    let [h, w] = r.image;
    let [lh, lw] = r.len;
    let fill = fill as i8;
    let (c0, cn) = inside(start[1], lw, w);
    for c in 0..r.channels {
        for row in 0..lh {
            let Some(dst) = buf.get_mut((c * lh + row) * lw..(c * lh + row + 1) * lw) else {
                return;
            };
            let y = start[0] + row as isize;
            if y < 0 || y >= h as isize || cn == 0 {
                dst.fill(fill);
                continue;
            }
            let from = (c * h + y as usize) * w + (start[1] + c0 as isize) as usize;
            let src = x.get(from..from + cn).unwrap_or(&[]);
            for (k, d) in dst.iter_mut().enumerate() {
                *d = if k >= c0 && k < c0 + cn {
                    src.get(k - c0).copied().unwrap_or(fill)
                } else {
                    fill
                };
            }
        }
    }
}

/// Sets the positions of the region at `start` outside its image to `fill`.
fn fill_outside(buf: &mut [i8], r: &Region, start: [isize; 2], fill: i32) {
    let [lh, lw] = r.len;
    let (r0, rn) = inside(start[0], lh, r.image[0]);
    let (c0, cn) = inside(start[1], lw, r.image[1]);
    if rn == lh && cn == lw {
        return;
    }
    let fill = fill as i8;
    for c in 0..r.channels {
        for row in 0..lh {
            let Some(line) = buf.get_mut((c * lh + row) * lw..(c * lh + row + 1) * lw) else {
                return;
            };
            if row < r0 || row >= r0 + rn {
                line.fill(fill);
                continue;
            }
            for (k, v) in line.iter_mut().enumerate() {
                if k < c0 || k >= c0 + cn {
                    *v = fill;
                }
            }
        }
    }
}

/// Writes a patch (inside the image) into the whole image `out`.
fn scatter(buf: &[i8], r: &Region, start: [isize; 2], out: &mut [i8]) {
    let [h, w] = r.image;
    let [lh, lw] = r.len;
    let (y0, x0) = (start[0].max(0) as usize, start[1].max(0) as usize);
    for c in 0..r.channels {
        for row in 0..lh {
            let from = (c * lh + row) * lw;
            let to = (c * h + y0 + row) * w + x0;
            let (Some(src), Some(dst)) = (buf.get(from..from + lw), out.get_mut(to..to + lw))
            else {
                return;
            };
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::quant::affine::Out;
    use std::{vec, vec::Vec};

    fn conv(
        cin: usize,
        cout: usize,
        k: usize,
        s: usize,
        p: usize,
        groups: usize,
        h: usize,
    ) -> Conv2d {
        let o = (h + 2 * p - k) / s + 1;
        Conv2d {
            batch: 1,
            in_channels: cin,
            in_h: h,
            in_w: h,
            out_channels: cout,
            kernel_h: k,
            kernel_w: k,
            stride_h: s,
            stride_w: s,
            pad_h: p,
            pad_w: p,
            dilation_h: 1,
            dilation_w: 1,
            groups,
            out_h: o,
            out_w: o,
        }
    }

    fn seq(n: usize, seed: u32) -> Vec<i8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 24) as i8
            })
            .collect()
    }

    /// A 3×3 stride-2 stem, a depthwise 3×3 and a pointwise layer, patched on a
    /// 2×2 and a 4×4 grid, against the whole-image kernels.
    #[test]
    fn patches_give_the_unpatched_bits() {
        let h = 16;
        let convs = [
            conv(3, 4, 3, 2, 1, 1, h),
            conv(4, 4, 3, 1, 1, 4, 8),
            conv(4, 6, 1, 1, 0, 1, 8),
        ];
        let zps = [-3, -100, 5];
        let outs = [
            Out {
                inv_scale: 0.5,
                zero_point: -100,
                min: -100,
                max: 127,
            },
            Out {
                inv_scale: 3.0,
                zero_point: 5,
                min: 5,
                max: 127,
            },
            Out {
                inv_scale: 2.0,
                zero_point: 1,
                min: -128,
                max: 127,
            },
        ];
        let ws: Vec<Vec<i8>> = convs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                seq(
                    c.out_channels * c.in_channels / c.groups * c.kernel_h * c.kernel_w,
                    i as u32 + 7,
                )
            })
            .collect();
        let scales: Vec<Vec<f32>> = convs
            .iter()
            .map(|c| {
                (0..c.out_channels)
                    .map(|k| 1e-3 + k as f32 * 1e-4)
                    .collect()
            })
            .collect();
        let biases: Vec<Vec<f32>> = convs
            .iter()
            .map(|c| (0..c.out_channels).map(|k| k as f32 * 0.1 - 0.2).collect())
            .collect();
        let rq = |i: usize| Requant {
            scale: &scales[i],
            bias: &biases[i],
            out: outs[i],
        };
        let x = seq(3 * h * h, 1);

        let mut want = x.clone();
        for (i, c) in convs.iter().enumerate() {
            let mut o = vec![0; c.out_channels * c.out_h * c.out_w];
            qconv2d(&want, zps[i], &ws[i], &mut o, c, rq(i));
            want = o;
        }
        // Outputs spread over the int8 range: a wrong tap would show.
        let mut seen = [false; 256];
        want.iter()
            .for_each(|&v| seen[(v as i32 + 128) as usize] = true);
        let distinct = seen.iter().filter(|&&s| s).count();
        assert!(distinct > 8, "{distinct} distinct outputs");

        for g in [2, 4] {
            // Backwards from the last output's patches: each region and its halo.
            let mut regions = Vec::new();
            let (mut origin, mut step, mut len) = ([0isize; 2], [8 / g; 2], [8 / g; 2]);
            for c in convs.iter().rev() {
                regions.push(Region {
                    channels: c.out_channels,
                    image: [c.out_h, c.out_w],
                    origin,
                    step,
                    len,
                });
                origin = origin.map(|o| o * c.stride_h as isize - c.pad_h as isize);
                step = step.map(|s| s * c.stride_h);
                len = len.map(|l| (l - 1) * c.stride_h + c.kernel_h);
            }
            regions.reverse();
            let input = Region {
                channels: 3,
                image: [h, h],
                origin,
                step,
                len,
            };
            let mut prev = input;
            let stages: Vec<Stage<'_>> = convs
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let r = regions[i];
                    let conv = Conv2d {
                        in_h: prev.len[0],
                        in_w: prev.len[1],
                        pad_h: 0,
                        pad_w: 0,
                        out_h: r.len[0],
                        out_w: r.len[1],
                        ..*c
                    };
                    prev = r;
                    Stage {
                        w: &ws[i],
                        x_zp: zps[i],
                        conv,
                        rq: rq(i),
                        out: r,
                    }
                })
                .collect();
            let mut bufs = vec![input.numel()];
            bufs.extend(regions.iter().map(Region::numel));
            let need = bufs.windows(2).map(|p| p[0] + p[1]).max().unwrap();
            let mut scratch = vec![0; need];
            let mut got = vec![0; want.len()];
            run(&x, input, &mut got, &mut scratch, [g, g], &stages);
            assert_eq!(got, want, "{g}×{g} patches");
        }
    }
}
