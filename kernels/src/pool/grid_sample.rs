//! `grid_sampler_2d`, bilinear and nearest, with ExecuTorch's coordinate
//! arithmetic in f32 (unnormalise, then clip or reflect by padding mode).

/// How samples outside the input are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Zeros,
    Border,
    Reflection,
}

fn unnormalize(coord: f32, size: usize, align_corners: bool) -> f32 {
    if align_corners {
        ((coord + 1.0) / 2.0) * (size as f32 - 1.0)
    } else {
        ((coord + 1.0) * size as f32 - 1.0) / 2.0
    }
}

fn clip(v: f32, size: usize) -> f32 {
    let hi = size as f32 - 1.0;
    let v = if v > 0.0 { v } else { 0.0 };
    if hi < v {
        hi
    } else {
        v
    }
}

fn reflect(v: f32, twice_low: i64, twice_high: i64) -> f32 {
    if twice_low == twice_high {
        return 0.0;
    }
    let min = twice_low as f32 / 2.0;
    let span = (twice_high - twice_low) as f32 / 2.0;
    let v = (v - min).abs();
    let extra = libm::fmodf(v, span);
    let flips = libm::floorf(v / span) as i32;
    if flips % 2 == 0 {
        extra + min
    } else {
        span - extra + min
    }
}

fn source(coord: f32, size: usize, padding: Padding, align_corners: bool) -> f32 {
    let c = unnormalize(coord, size, align_corners);
    match padding {
        Padding::Zeros => c,
        Padding::Border => clip(c, size),
        Padding::Reflection => {
            let n = size as i64;
            let r = if align_corners { reflect(c, 0, 2 * (n - 1)) } else { reflect(c, -1, 2 * n - 1) };
            clip(r, size)
        }
    }
}

fn clip_index(i: i64, size: usize) -> usize {
    i.min(size as i64 - 1).max(0) as usize
}

/// `x` `[n, c, ih, iw]` sampled at `grid` `[n, oh, ow, 2]` (x then y in
/// `[-1, 1]`) into `out` `[n, c, oh, ow]`.
#[allow(clippy::too_many_arguments)]
pub fn grid_sample(
    x: &[f32],
    grid: &[f32],
    out: &mut [f32],
    [n, c, ih, iw]: [usize; 4],
    [oh, ow]: [usize; 2],
    nearest: bool,
    padding: Padding,
    align_corners: bool,
) {
    if ih == 0 || iw == 0 {
        return;
    }
    let at = |b: usize, ch: usize, y: i64, xx: i64| -> f32 {
        if y < 0 || xx < 0 || y as usize >= ih || xx as usize >= iw {
            return 0.0;
        }
        x.get(((b * c + ch) * ih + y as usize) * iw + xx as usize).copied().unwrap_or(0.0)
    };
    let clipped = |b: usize, ch: usize, y: i64, xx: i64| at(b, ch, clip_index(y, ih) as i64, clip_index(xx, iw) as i64);
    for b in 0..n {
        for ch in 0..c {
            for y in 0..oh {
                for xo in 0..ow {
                    let g = ((b * oh + y) * ow + xo) * 2;
                    let (Some(&gx), Some(&gy)) = (grid.get(g), grid.get(g + 1)) else { return };
                    let (sx, sy) = (source(gx, iw, padding, align_corners), source(gy, ih, padding, align_corners));
                    let v = if nearest {
                        let (nx, ny) = (libm::rintf(sx) as i64, libm::rintf(sy) as i64);
                        if padding == Padding::Zeros { at(b, ch, ny, nx) } else { clipped(b, ch, ny, nx) }
                    } else {
                        let (x0, y0) = (libm::floorf(sx) as i64, libm::floorf(sy) as i64);
                        let (x1, y1) = (x0 + 1, y0 + 1);
                        let nw = (x1 as f32 - sx) * (y1 as f32 - sy);
                        let ne = (sx - x0 as f32) * (y1 as f32 - sy);
                        let sw = (x1 as f32 - sx) * (sy - y0 as f32);
                        let se = (sx - x0 as f32) * (sy - y0 as f32);
                        let read = |yy, xx| if padding == Padding::Zeros { at(b, ch, yy, xx) } else { clipped(b, ch, yy, xx) };
                        if padding == Padding::Zeros {
                            // Out-of-bounds corners are skipped, not added as zero products.
                            let mut acc = 0.0f32;
                            for (yy, xx, wgt) in [(y0, x0, nw), (y0, x1, ne), (y1, x0, sw), (y1, x1, se)] {
                                if yy >= 0 && xx >= 0 && (yy as usize) < ih && (xx as usize) < iw {
                                    acc += read(yy, xx) * wgt;
                                }
                            }
                            acc
                        } else {
                            read(y0, x0) * nw + read(y0, x1) * ne + read(y1, x0) * sw + read(y1, x1) * se
                        }
                    };
                    if let Some(o) = out.get_mut(((b * c + ch) * oh + y) * ow + xo) {
                        *o = v;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corners_and_centre() {
        // 2x2 input, align_corners: (-1, -1) is the first pixel, (0, 0) the mean.
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let grid = [-1.0f32, -1.0, 0.0, 0.0, 1.0, 1.0];
        let mut out = [0.0f32; 3];
        grid_sample(&x, &grid, &mut out, [1, 1, 2, 2], [1, 3], false, Padding::Zeros, true);
        assert_eq!(out, [1.0, 2.5, 4.0]);
        grid_sample(&x, &[2.0, 2.0], &mut out[..1], [1, 1, 2, 2], [1, 1], true, Padding::Border, true);
        assert_eq!(out[0], 4.0);
        grid_sample(&x, &[3.0, 3.0], &mut out[..1], [1, 1, 2, 2], [1, 1], false, Padding::Zeros, true);
        assert_eq!(out[0], 0.0);
    }
}
