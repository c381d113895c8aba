//! Transposed 2-d convolution (the gradient of a convolution, used to upsample).
//! NCHW; weights `[cin, cout / groups, kh, kw]` as PyTorch stores them.

/// Shapes and hyper-parameters, all known when the model is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2d {
    pub batch: usize,
    pub in_channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_channels: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    pub pad_h: usize,
    pub pad_w: usize,
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub groups: usize,
}

/// Every input pixel scatters its weighted kernel window into the output:
/// `out[oc, iy*s - p + ky*d, ix*s - p + kx*d] += x[ic, iy, ix] * w[ic, oc, ky, kx]`.
pub fn conv_transpose2d(x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32], p: &ConvTranspose2d) {
    let groups = p.groups.max(1);
    let (cin_g, cout_g) = (p.in_channels / groups, p.out_channels / groups);
    let (in_plane, out_plane, k_plane) = (p.in_h * p.in_w, p.out_h * p.out_w, p.kernel_h * p.kernel_w);
    for (c, plane) in out.chunks_exact_mut(out_plane.max(1)).take(p.batch * p.out_channels).enumerate() {
        let b = bias.and_then(|b| b.get(c % p.out_channels.max(1))).copied().unwrap_or(0.0);
        plane.fill(b);
    }
    for n in 0..p.batch {
        for ic in 0..p.in_channels {
            let g = ic / cin_g.max(1);
            let Some(xs) = x.get((n * p.in_channels + ic) * in_plane..(n * p.in_channels + ic + 1) * in_plane) else { continue };
            for ocg in 0..cout_g {
                let oc = g * cout_g + ocg;
                let Some(ws) = w.get((ic * cout_g + ocg) * k_plane..(ic * cout_g + ocg + 1) * k_plane) else { continue };
                let Some(os) = out.get_mut((n * p.out_channels + oc) * out_plane..(n * p.out_channels + oc + 1) * out_plane) else { continue };
                scatter(xs, ws, os, p);
            }
        }
    }
}

/// One input plane through one kernel plane into one output plane.
fn scatter(xs: &[f32], ws: &[f32], os: &mut [f32], p: &ConvTranspose2d) {
    for ky in 0..p.kernel_h {
        for iy in 0..p.in_h {
            let Some(oy) = (iy * p.stride_h + ky * p.dilation_h).checked_sub(p.pad_h).filter(|&o| o < p.out_h) else { continue };
            for kx in 0..p.kernel_w {
                let wv = ws.get(ky * p.kernel_w + kx).copied().unwrap_or(0.0);
                for ix in 0..p.in_w {
                    let Some(ox) = (ix * p.stride_w + kx * p.dilation_w).checked_sub(p.pad_w).filter(|&o| o < p.out_w) else { continue };
                    if let (Some(o), Some(&v)) = (os.get_mut(oy * p.out_w + ox), xs.get(iy * p.in_w + ix)) {
                        *o += v * wv;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stride-2 kernel of ones over a 2x2 input of ones: each output pixel counts its sources.
    #[test]
    fn stride_two_counts_overlaps() {
        let p = ConvTranspose2d {
            batch: 1, in_channels: 1, in_h: 2, in_w: 2, out_channels: 1, out_h: 5, out_w: 5,
            kernel_h: 3, kernel_w: 3, stride_h: 2, stride_w: 2, pad_h: 0, pad_w: 0, dilation_h: 1, dilation_w: 1, groups: 1,
        };
        let mut out = [0.0f32; 25];
        conv_transpose2d(&[1.0; 4], &[1.0; 9], Some(&[0.5]), &mut out, &p);
        let want = [1., 1., 2., 1., 1., 1., 1., 2., 1., 1., 2., 2., 4., 2., 2., 1., 1., 2., 1., 1., 1., 1., 2., 1., 1.];
        let want: [f32; 25] = want.map(|v: f32| v + 0.5);
        assert_eq!(out, want);
    }
}
