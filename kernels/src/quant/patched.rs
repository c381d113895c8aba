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
//!
//! The input is a whole image (`run`) or rows handed over one at a time, top
//! to bottom (`run_rows`), as a camera delivers them: then only the rows one
//! row of patches reads are kept, in a ring, and the whole input never exists.

use crate::conv::im2col::Conv2d;
use crate::quant::affine::quantize_one;
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

    /// Elements of the ring `run_rows` keeps: the image rows one row of patches reads.
    pub const fn ring(&self) -> usize {
        let rows = if self.len[0] < self.image[0] { self.len[0] } else { self.image[0] };
        rows * self.image[1] * self.channels
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

/// Where the chain's input rows are read from.
trait Source {
    /// Makes image rows `..end` readable; rows are asked for in order.
    fn advance(&mut self, end: usize);
    /// Row `y` of channel `c`, read as `row[x * stride]`.
    fn row(&self, c: usize, y: usize) -> (&[i8], usize);
}

/// A whole `channels × h × w` image.
struct Image<'a> {
    x: &'a [i8],
    h: usize,
    w: usize,
}

impl Source for Image<'_> {
    fn advance(&mut self, _: usize) {}
    fn row(&self, c: usize, y: usize) -> (&[i8], usize) {
        let from = (c * self.h + y) * self.w;
        (self.x.get(from..from + self.w).unwrap_or(&[]), 1)
    }
}

/// The last `ring.len() / (w · channels)` rows, each `w × channels` (channels last).
struct Ring<'a, F> {
    fill: F,
    ring: &'a mut [i8],
    channels: usize,
    w: usize,
    next: usize,
}

impl<F: FnMut(usize, &mut [i8])> Source for Ring<'_, F> {
    fn advance(&mut self, end: usize) {
        let width = self.w * self.channels;
        let rows = self.ring.len() / width.max(1);
        while self.next < end && rows > 0 {
            let at = self.next % rows * width;
            if let Some(slot) = self.ring.get_mut(at..at + width) {
                (self.fill)(self.next, slot);
            }
            self.next += 1;
        }
    }
    fn row(&self, c: usize, y: usize) -> (&[i8], usize) {
        let width = self.w * self.channels;
        let rows = self.ring.len() / width.max(1);
        let at = (y % rows.max(1)) * width + c;
        (self.ring.get(at..(at + width).saturating_sub(c)).unwrap_or(&[]), self.channels)
    }
}

/// Runs `stages` over `x` (a whole `input` image) patch by patch of a
/// `grid`, writing the last stage's whole image into `out`. `scratch` holds
/// the input patch and the stage buffers: consecutive ones sit at its two
/// ends, so it needs the largest sum of two consecutive buffers.
pub fn run(x: &[i8], input: Region, out: &mut [i8], scratch: &mut [i8], grid: [usize; 2], stages: &[Stage<'_>]) {
    let [h, w] = input.image;
    let mut src = Image { x, h, w };
    patches(&mut src, input, out, scratch, grid, stages);
}

/// As `run`, with the input's rows from `fill(y, row)`, called once per row
/// `y` from the top: it writes row `y` as `row[x * channels + c]` (channels
/// last, as a camera delivers pixels). `scratch` holds `input.ring()` more
/// elements first, for the rows in flight.
pub fn run_rows(
    fill: impl FnMut(usize, &mut [i8]),
    input: Region,
    out: &mut [i8],
    scratch: &mut [i8],
    grid: [usize; 2],
    stages: &[Stage<'_>],
) {
    let Some((ring, bufs)) = scratch.split_at_mut_checked(input.ring()) else { return };
    let mut src = Ring { fill, ring, channels: input.channels, w: input.image[1], next: 0 };
    patches(&mut src, input, out, bufs, grid, stages);
}

/// A row source for `run_rows` that quantizes a whole f32 `channels × h × w`
/// image, as the quantize op it stands for: `inv_scale` is `1.0f32 / scale`.
pub fn quantized_rows(
    x: &[f32],
    input: Region,
    inv_scale: f32,
    zero_point: i32,
) -> impl FnMut(usize, &mut [i8]) + '_ {
    let ([h, w], c) = (input.image, input.channels.max(1));
    move |y, row| {
        for (k, q) in row.iter_mut().enumerate() {
            let v = x.get((k % c * h + y) * w + k / c).copied().unwrap_or(0.0);
            *q = quantize_one(v, inv_scale, zero_point, -128, 127) as i8;
        }
    }
}

fn patches<S: Source>(src: &mut S, input: Region, out: &mut [i8], scratch: &mut [i8], grid: [usize; 2], stages: &[Stage<'_>]) {
    let total = scratch.len();
    for i in 0..grid[0] {
        let end = input.start(i, 0)[0] + input.len[0] as isize;
        src.advance(end.clamp(0, input.image[0] as isize) as usize);
        for j in 0..grid[1] {
            let Some(first) = stages.first() else { return };
            gather(src, &input, input.start(i, j), first.x_zp, scratch);
            // Stage `s` reads the bottom end and writes the top one when `s` is even.
            let mut in_len = input.numel();
            for (s, stage) in stages.iter().enumerate() {
                let out_len = stage.out.numel();
                let (src, dst) = if s % 2 == 0 {
                    let Some((lo, hi)) = scratch.split_at_mut_checked(total.saturating_sub(out_len)) else {
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
    // Rows below every patch are still handed over, so the caller sees each row once.
    src.advance(input.image[0]);
}

/// The in-image rows `0..len` from `start` hit: `(first row, rows)` in the region.
fn inside(start: isize, len: usize, image: usize) -> (usize, usize) {
    let lo = (-start).max(0).min(len as isize) as usize;
    let hi = (image as isize - start).max(0).min(len as isize) as usize;
    (lo, hi.saturating_sub(lo))
}

/// Copies the region at `start` of the input into `buf`, `fill` outside the image.
fn gather<S: Source>(src: &S, r: &Region, start: [isize; 2], fill: i32, buf: &mut [i8]) {
    let h = r.image[0];
    let [lh, lw] = r.len;
    let fill = fill as i8;
    let (c0, cn) = inside(start[1], lw, r.image[1]);
    let x0 = (start[1] + c0 as isize).max(0) as usize;
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
            let (line, stride) = src.row(c, y as usize);
            for (k, d) in dst.iter_mut().enumerate() {
                *d = if k >= c0 && k < c0 + cn {
                    line.get((x0 + k - c0) * stride).copied().unwrap_or(fill)
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

            // The same rows handed over one at a time, channels last.
            let mut asked = Vec::new();
            let fill = |y: usize, row: &mut [i8]| {
                asked.push(y);
                for (k, q) in row.iter_mut().enumerate() {
                    *q = x[(k % 3 * h + y) * h + k / 3];
                }
            };
            let mut scratch = vec![0; input.ring() + need];
            let mut got = vec![0; want.len()];
            run_rows(fill, input, &mut got, &mut scratch, [g, g], &stages);
            assert_eq!(got, want, "{g}×{g} patches from rows");
            assert_eq!(asked, (0..h).collect::<Vec<_>>());
            assert!(input.ring() < x.len(), "the ring keeps fewer rows than the image");

            // From an f32 image, quantized as the quantize op would.
            let (inv, zp) = (1.0f32 / 0.05, -3);
            let xf: Vec<f32> = x.iter().map(|&q| (q as i32 - zp) as f32 * 0.05 + 0.01).collect();
            let xq: Vec<i8> = xf.iter().map(|&v| quantize_one(v, inv, zp, -128, 127) as i8).collect();
            let mut want_q = vec![0; want.len()];
            run(&xq, input, &mut want_q, &mut scratch[..need], [g, g], &stages);
            let mut got = vec![0; want.len()];
            run_rows(quantized_rows(&xf, input, inv, zp), input, &mut got, &mut scratch, [g, g], &stages);
            assert_eq!(got, want_q, "{g}×{g} patches from quantized rows");
        }
    }
}
