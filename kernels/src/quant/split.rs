//! Feature `threads`: large int8 convolutions and linear layers split across
//! the pool (`crate::threads`) into disjoint ranges of their output, cut where
//! no part redoes what the kernel sets up for the others:
//! - the VNNI 1×1 kernel packs the input once per panel of 48 columns and reads
//!   the weights in place: ranges of columns, else (few columns) of channels;
//! - the AVX2 1×1 kernel packs its weights per block of 6 channels: channels;
//! - the depthwise kernels widen one channel's plane at a time: channels;
//! - the 3×3 row kernel (the RGB stem) widens each input row once for every
//!   output channel: ranges of output rows;
//! - a linear layer: rows, or ranges of outputs for a few rows.
//!
//! Each output's sum and requantization do not depend on the range it is in,
//! so the bits are those of one thread.

use crate::conv::im2col::Conv2d;
use crate::quant::conv::{holds, qconv2d_one, qlinear_one, Requant};
use crate::threads::{bands, run, Shared, Split};

/// Layers at least this large (multiply-adds) are split.
const SPLIT_MIN: usize = 1 << 19;
/// The same for grouped (depthwise) layers, whose kernels take longer per multiply-add.
const GROUPED_MIN: usize = 1 << 17;

/// `qconv2d` over several threads; false, with nothing done, where it runs on one.
pub(super) fn qconv2d(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: Requant<'_>) -> bool {
    let t = crate::threads::get();
    let groups = p.groups.max(1);
    if t < 2 || p.batch != 1 || !p.in_channels.is_multiple_of(groups) || !p.out_channels.is_multiple_of(groups) {
        return false;
    }
    let taps = (p.in_channels / groups).saturating_mul(p.kernel_h).saturating_mul(p.kernel_w);
    let work = p.out_channels.saturating_mul(p.out_h).saturating_mul(p.out_w).saturating_mul(taps);
    if work < if groups > 1 { GROUPED_MIN } else { SPLIT_MIN } || !holds(x, w, out, p) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        use crate::quant::conv::pointwise_fits;
        if crate::cpu::avx512_vnni() && crate::quant::gemm_vnni::supports(p.in_channels) && pointwise_fits(x, w, out, p) {
            if p.in_h * p.in_w / crate::quant::gemm_vnni::NR >= t {
                pointwise_columns(x, x_zp, w, out, p, &rq, t);
            } else {
                // Each part packs all the columns again: one part per thread.
                channels(x, x_zp, w, out, p, rq, t, 8);
            }
            return true;
        }
        if crate::quant::affine_avx2::has_avx2() && pointwise_fits(x, w, out, p) {
            // Each part clears its buffers (56 KiB) and copies the column tail again.
            channels(x, x_zp, w, out, p, rq, t, 6);
            return true;
        }
        let rows = crate::quant::conv3x3::supports(p) && !crate::quant::depthwise::supports(p);
        if crate::quant::affine_avx2::has_avx2() && rows && p.out_h >= 2 {
            out_rows(x, x_zp, w, out, p, &rq, t);
            return true;
        }
    }
    // Depthwise layers (their kernels clear 48 KiB of buffers per call), and the
    // rest on the portable kernels: two parts per thread.
    channels(x, x_zp, w, out, p, rq, 2 * t, 1);
    true
}

/// At most `parts` ranges of output channels (of whole groups where there are
/// several), each convolved as a layer of its own; `block` channels at a time
/// where each part still gets two blocks or more.
#[allow(clippy::too_many_arguments)]
fn channels(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: Requant<'_>, parts: usize, block: usize) {
    let groups = p.groups.max(1);
    let (icg, ocg) = (p.in_channels / groups, p.out_channels / groups);
    let (in_plane, out_plane, taps) = (p.in_h * p.in_w, p.out_h * p.out_w, p.kernel_h * p.kernel_w);
    // What a part takes whole: one output channel of a one-group layer, else one group.
    let (units, per_unit) = if groups == 1 { (p.out_channels, 1) } else { (groups, ocg) };
    let block = if units >= 2 * block * parts { block } else { 1 };
    let split = Split::new(units, parts, block);
    bands(out, split, per_unit * out_plane, &|(u0, u1), o| {
        let (c0, c1) = (u0 * per_unit, u1 * per_unit);
        let (q, xs) = if groups == 1 {
            (Conv2d { out_channels: c1 - c0, ..*p }, x)
        } else {
            let g = u1 - u0;
            (Conv2d { in_channels: g * icg, out_channels: g * ocg, groups: g, ..*p }, x.get(u0 * icg * in_plane..).unwrap_or(&[]))
        };
        let part = Requant { scale: rq.scale.get(c0..).unwrap_or(&[]), bias: rq.bias.get(c0..).unwrap_or(&[]), out: rq.out };
        qconv2d_one(xs, x_zp, w.get(c0 * icg * taps..).unwrap_or(&[]), o, &q, part);
    });
}

/// The VNNI 1×1 kernel on ranges of whole panels of columns, several per thread
/// where there are enough (a part costs nothing to set up); the last takes the tail.
#[cfg(target_arch = "x86_64")]
fn pointwise_columns(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>, t: usize) {
    use crate::quant::gemm_vnni::{columns, NR};
    let (cin, cout, hw) = (p.in_channels, p.out_channels, p.in_h * p.in_w);
    let whole = hw / NR * NR;
    let split = Split::new(whole, 4 * t, NR);
    let dst = Shared(out.as_mut_ptr());
    run(split.parts, &|i| {
        let (start, end) = split.range(i);
        let end = if i + 1 == split.parts { hw } else { end };
        // SAFETY: the caller checked AVX-512 VNNI, `supports(cin)` and (`pointwise_fits`)
        // every slice's length; part i writes only columns start..end of each
        // output channel, which no other part touches while `run` waits.
        unsafe { columns(x, x_zp, w, dst.get(), cin, cout, hw, (start, end), rq) };
    });
}

/// The 3×3 row kernel on ranges of output rows: a part widens again only the
/// two or three input rows its first output row shares with the part before.
#[cfg(target_arch = "x86_64")]
fn out_rows(x: &[i8], x_zp: i32, w: &[i8], out: &mut [i8], p: &Conv2d, rq: &Requant<'_>, t: usize) {
    let oh = p.out_h;
    let split = Split::new(oh, (oh / 8).clamp(t, 4 * t), 1);
    let dst = Shared(out.as_mut_ptr());
    run(split.parts, &|i| {
        let span = split.range(i);
        // SAFETY: the caller checked AVX2, `conv3x3::supports(p)`, that the depthwise
        // kernel does not take `p`, and (`holds`) every slice's length; part i
        // writes only rows span of each output channel, which no other part
        // touches while `run` waits.
        unsafe { crate::quant::conv3x3::avx2::out_rows(x, x_zp, w, dst.get(), p, rq, span) };
    });
}

/// `qlinear` over several threads; false, with nothing done, where it runs on one.
#[allow(clippy::too_many_arguments)]
pub(super) fn qlinear(a: &[i8], a_zp: i32, w: &[i8], out: &mut [i8], m: usize, k: usize, n: usize, rq: Requant<'_>) -> bool {
    let t = crate::threads::get();
    let fits = a.len() >= m * k && w.len() >= n * k && out.len() >= m * n;
    if t < 2 || k == 0 || n == 0 || m.saturating_mul(k).saturating_mul(n) < SPLIT_MIN || !fits {
        return false;
    }
    if m >= 2 * t {
        let split = Split::new(m, 2 * t, 1);
        bands(out, split, n, &|(r0, r1), o| qlinear_one(a.get(r0 * k..).unwrap_or(&[]), a_zp, w, o, r1 - r0, k, n, rq));
        return true;
    }
    let dst = Shared(out.as_mut_ptr());
    // Few rows: ranges of outputs, each reading only its rows of `w`.
    let split = Split::new(n, 2 * t, 8);
    run(split.parts, &|i| {
        let (j0, j1) = split.range(i);
        let part = Requant { scale: rq.scale.get(j0..).unwrap_or(&[]), bias: rq.bias.get(j0..).unwrap_or(&[]), out: rq.out };
        for r in 0..m {
            // SAFETY: `fits` checked that `out` holds m rows of n; part i writes only
            // columns j0..j1 of each row, which no other part touches, while `run` waits.
            let o = unsafe { core::slice::from_raw_parts_mut(dst.get().add(r * n + j0), j1 - j0) };
            qlinear_one(a.get(r * k..).unwrap_or(&[]), a_zp, w.get(j0 * k..).unwrap_or(&[]), o, 1, k, j1 - j0, part);
        }
    });
    true
}
