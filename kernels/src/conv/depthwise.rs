//! Depthwise convolution (one filter per channel), 3×3 or 5×5 with "same"
//! padding (K/2), stride 1 or 2, NCHW, bias and clamp fused.
//!
//! A band of output rows is computed from a zero-bordered copy of the input
//! rows it reads, held on the stack as S×S phase planes (`pad[S*r + a][S*c + b]`
//! goes to plane (a, b) at row r, column c). In that layout every tap of every
//! stride is a unit-stride window at a fixed offset, so a block of 8 outputs is
//! K*K vector multiply-adds and no tap needs an edge check. 3×3 rows too wide
//! for one band take a slower path with explicit edges.

use crate::conv::im2col::Conv2d;
use crate::matmul::gemm::Epilogue;

/// Widest 5×5 row `supports` accepts (the limit codegen also applies).
const PAD_MAX: usize = 128;
/// Floats of the stack buffer holding one band of phase planes (8 KiB).
const BAND: usize = 2048;
/// Lanes per block: fixed-size arrays let LLVM keep a block in vector registers.
const LANES: usize = 8;
/// Lanes per AVX-512 block.
const WIDE: usize = 16;

/// Which blocks `depthwise` runs: the portable loop, AVX2 + FMA, or AVX-512.
const PORTABLE: u8 = 0;
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
const AVX2: u8 = 1;
const AVX512: u8 = 2;

/// True when `p` is a depthwise convolution these kernels cover.
pub const fn supports(p: &Conv2d) -> bool {
    let k = p.kernel_h;
    p.groups == p.in_channels
        && p.out_channels == p.in_channels
        && (k == 3 || (k == 5 && p.in_w + 4 <= PAD_MAX))
        && p.kernel_w == k
        && p.pad_h == k / 2
        && p.pad_w == k / 2
        && p.dilation_h == 1
        && p.dilation_w == 1
        && p.stride_h == p.stride_w
        && (p.stride_h == 1 || p.stride_h == 2)
}

/// Depthwise 3×3; does nothing when `supports(p)` is false (callers check).
pub fn depthwise3x3(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    run::<3>(x, w, out, p, e);
}

/// Depthwise 5×5; does nothing when `supports(p)` is false (callers check).
pub fn depthwise5x5(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    run::<5>(x, w, out, p, e);
}

fn run<const K: usize>(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    #[cfg(feature = "threads")]
    if split::<K>(x, w, out, p, e) {
        return;
    }
    if out.len() >= p.batch * p.out_channels * p.out_h * p.out_w {
        // SAFETY: `out` holds every plane and is this call's alone.
        unsafe { run_rows::<K>(x, w, out.as_mut_ptr(), p, e, (0, p.out_h)) };
    }
}

/// Convolutions at least this large (multiply-adds) are split across threads.
#[cfg(feature = "threads")]
const SPLIT_MIN: usize = 1 << 17;

/// With feature `threads` and more than one thread: bands of output rows (of
/// every channel) or, for images of few rows, ranges of channels, as parts of
/// one `threads::run`; false, with nothing done, otherwise. Bands of rows cover
/// the pixels the products before and after split by columns, so each thread
/// mostly reads what it wrote.
#[cfg(feature = "threads")]
fn split<const K: usize>(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) -> bool {
    let t = crate::threads::get();
    let (c, plane_in, plane_out) = (p.in_channels, p.in_h * p.in_w, p.out_h * p.out_w);
    let work = c.saturating_mul(plane_out).saturating_mul(K * K);
    let fits = x.len() >= c * plane_in && out.len() >= c * plane_out && w.len() >= c * K * K;
    if t < 2 || p.batch != 1 || work < SPLIT_MIN || !fits || !supports(p) {
        return false;
    }
    let dst = crate::threads::Shared(out.as_mut_ptr());
    // Eight rows a part at least (each part copies K - 1 rows of halo again), and
    // only where rows go in bands (`wide_rows` takes whole planes).
    // Bands start on a cache line of every plane where that leaves each thread
    // 3 or more units (28-wide rows go 12 and 16): two threads writing one line
    // cost more than the uneven halves.
    let aligned = |n: usize, per: usize| Some(crate::threads::lines::<f32>(per)).filter(|&u| n >= 3 * t * u).unwrap_or(1);
    let oh = p.out_h;
    if oh >= 8 * t && band_rows(K, p.stride_h, p.in_w, oh, WIDE) > 0 {
        let split = crate::threads::Split::new(oh, t, aligned(oh, p.out_w));
        crate::threads::run(split.parts, &|i| {
            let rows = split.range(i);
            // SAFETY: `fits` checked that `out` holds every plane; part i writes only
            // rows `rows` of each, which no other part touches while `run` waits.
            unsafe { run_rows::<K>(x, w, dst.get(), p, e, rows) };
        });
        return true;
    }
    if c < 2 {
        return false;
    }
    // Parts cost nothing extra here: 4 per thread, each on a cache line.
    let split = crate::threads::Split::new(c, 4 * t, aligned(c, plane_out));
    crate::threads::run(split.parts, &|i| {
        let (c0, c1) = split.range(i);
        let q = Conv2d { in_channels: c1 - c0, out_channels: c1 - c0, groups: c1 - c0, ..*p };
        let part = Epilogue { bias: e.bias.map(|v| v.get(c0..).unwrap_or(&[])), ..e };
        let (xs, ws) = (x.get(c0 * plane_in..).unwrap_or(&[]), w.get(c0 * K * K..).unwrap_or(&[]));
        // SAFETY: `fits` checked that `out` holds c planes; part i writes only
        // planes c0..c1, which no other part touches, while `run` waits.
        unsafe { run_rows::<K>(xs, ws, dst.get().add(c0 * plane_out), &q, part, (0, p.out_h)) };
    });
    true
}

/// Rows `r0..r1` of every output plane, on the calling thread.
///
/// # Safety
/// `out` holds `batch * channels` planes of `out_h * out_w` floats, r0 <= r1 <=
/// out_h, and no other thread reads or writes those rows meanwhile.
unsafe fn run_rows<const K: usize>(x: &[f32], w: &[f32], out: *mut f32, p: &Conv2d, e: Epilogue<'_>, rows: (usize, usize)) {
    // Stride as a const parameter: the block loops specialise for 1 and 2,
    // each in a function of its own.
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx512() {
        // SAFETY: the CPU has AVX-512 F/BW/DQ/VL, AVX2 and FMA (`cpu::avx512`); `out` is the caller's.
        unsafe {
            match p.stride_h {
                1 => run_avx512::<1, K>(x, w, out, p, e, rows),
                _ => run_avx512::<2, K>(x, w, out, p, e, rows),
            }
        }
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx2_fma() {
        // SAFETY: the CPU has AVX2 and FMA (`cpu::avx2_fma`); `out` is the caller's.
        unsafe {
            match p.stride_h {
                1 => run_avx2::<1, K>(x, w, out, p, e, rows),
                _ => run_avx2::<2, K>(x, w, out, p, e, rows),
            }
        }
        return;
    }
    // SAFETY: `out` is the caller's.
    unsafe {
        match p.stride_h {
            1 => depthwise::<1, K, PORTABLE>(x, w, out, p, e, rows),
            _ => depthwise::<2, K, PORTABLE>(x, w, out, p, e, rows),
        }
    }
}

/// The same code with its blocks in AVX2 + FMA intrinsics.
///
/// # Safety
/// The CPU has AVX2 and FMA; `out` as for `run_rows`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_avx2<const S: usize, const K: usize>(x: &[f32], w: &[f32], out: *mut f32, p: &Conv2d, e: Epilogue<'_>, rows: (usize, usize)) {
    // SAFETY: as the caller guarantees.
    unsafe { depthwise::<S, K, AVX2>(x, w, out, p, e, rows) };
}

/// The same code with 16-lane AVX-512 blocks.
///
/// # Safety
/// The CPU has AVX-512 F/BW/DQ/VL, AVX2 and FMA; `out` as for `run_rows`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
unsafe fn run_avx512<const S: usize, const K: usize>(x: &[f32], w: &[f32], out: *mut f32, p: &Conv2d, e: Epilogue<'_>, rows: (usize, usize)) {
    // SAFETY: as the caller guarantees.
    unsafe { depthwise::<S, K, AVX512>(x, w, out, p, e, rows) };
}

/// Output rows per band: the most whose phase planes fit in `BAND` with a
/// block's worth (`lanes`) of slack after them; 0 when not even one row fits.
const fn band_rows(k: usize, s: usize, iw: usize, oh: usize, lanes: usize) -> usize {
    let per_row = s * s * (iw + k - 1).div_ceil(s);
    let halo = (k - 1) / s;
    let fit = (BAND - lanes) / per_row;
    if fit <= halo {
        0
    } else if fit - halo < oh {
        fit - halo
    } else {
        oh
    }
}

/// `P` is `AVX2` only inside `run_avx2`, where AVX2 and FMA are enabled, and
/// `AVX512` only inside `run_avx512`.
///
/// # Safety
/// `out` as for `run_rows`.
#[inline(always)]
unsafe fn depthwise<const S: usize, const K: usize, const P: u8>(x: &[f32], w: &[f32], out: *mut f32, p: &Conv2d, e: Epilogue<'_>, (r0, r1): (usize, usize)) {
    let (ih, iw, oh, ow) = (p.in_h, p.in_w, p.out_h, p.out_w);
    if !supports(p) || p.kernel_h != K || p.stride_h != S || iw == 0 || ow == 0 || r0 >= r1 || r1 > oh {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if P == AVX512 && super::narrow::fits(p) && x.len() >= p.batch * p.in_channels * ih * iw && w.len() >= p.in_channels * K * K {
        // SAFETY: P is AVX512 only under `run_avx512`, whose caller detected AVX-512,
        // AVX2 and FMA; `supports` gave the shape, the lengths are checked or the caller's.
        unsafe { super::narrow::rows::<S, K>(x, w, out, p, e, (r0, r1)) };
        return;
    }
    // Zeroed once: every band overwrites what it reads.
    let mut buf = [0.0f32; BAND];
    for (plane_ix, x_plane) in x.chunks_exact(ih * iw).take(p.batch * p.in_channels).enumerate() {
        let c = plane_ix % p.in_channels;
        let Some(k) = w.get(c * K * K..(c + 1) * K * K) else { return };
        let mut taps = [[0.0f32; K]; K];
        taps.iter_mut().flatten().zip(k).for_each(|(t, &v)| *t = v);
        let bias = e.bias.and_then(|b| b.get(c)).copied().unwrap_or(0.0);
        // SAFETY: plane `plane_ix` is inside `out` and its rows r0..r1 are this
        // call's alone (the caller's guarantee).
        let o_rows = unsafe { core::slice::from_raw_parts_mut(out.add(plane_ix * oh * ow + r0 * ow), (r1 - r0) * ow) };
        plane::<S, K, P>(&mut buf, o_rows, x_plane, &taps, bias, e.clamp, p, r0);
    }
}

/// Output rows from `r0` on, as many as `o_rows` holds, of one plane.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn plane<const S: usize, const K: usize, const P: u8>(buf: &mut [f32; BAND], o_rows: &mut [f32], x_plane: &[f32], taps: &[[f32; K]; K], bias: f32, clamp: Option<(f32, f32)>, p: &Conv2d, r0: usize) {
    let (ih, iw, oh, ow) = (p.in_h, p.in_w, p.out_h, p.out_w);
    let lanes = if P == AVX512 { WIDE } else { LANES };
    let n = band_rows(K, S, iw, oh, lanes);
    if n == 0 {
        if let Some(k) = taps.as_flattened().first_chunk::<9>() {
            // Only 3×3 gets here: `supports` keeps wide 5×5 rows out.
            wide_rows::<S>(o_rows, x_plane, ih, iw, ow, k, bias, clamp, r0);
        }
        return;
    }
    // Every band, of every plane of the call, uses the same layout: phase planes
    // of r2 rows by w2 columns. So the padding columns, zeroed once by the
    // caller and never written, stay zero.
    let (w2, r2) = ((iw + K - 1).div_ceil(S), n + (K - 1) / S);
    // Where tap (ky, kx) of the output at flat position 0 reads.
    let offs: [[usize; K]; K] =
        core::array::from_fn(|ky| core::array::from_fn(|kx| ((ky % S) * S + kx % S) * r2 * w2 + ky / S * w2 + kx / S));
    let max_off = offs.iter().flatten().fold(0, |m, &o| m.max(o));
    // Reads are at `j + off + ..lanes` with j + lanes <= (n - 1) * w2 + max(ow, lanes):
    // keep them inside `buf`.
    if (n - 1) * w2 + ow.max(lanes) + max_off > BAND {
        return;
    }
    let end = r0 + o_rows.len() / ow;
    let mut oy0 = r0;
    while oy0 < end {
        let rows = n.min(end - oy0);
        fill::<S, K>(buf, x_plane, ih, iw, w2, r2, rows + (K - 1) / S, oy0);
        // Where this band's rows start in `o_rows`.
        let at0 = (oy0 - r0) * ow;
        // Rows under 8 wide take the 8-lane blocks below on the AVX-512 path too:
        // 16-float loads split cache lines more often, and a 5×5 on 7×7 ran 1.26×
        // slower with 16-lane blocks.
        #[cfg(target_arch = "x86_64")]
        if P == AVX512 && ow >= LANES {
            let Some(o_band) = o_rows.get_mut(at0..at0 + rows * ow) else { return };
            // Two rows a pass: four sums in flight per block of lanes, not two.
            let mut pairs = o_band.chunks_exact_mut(2 * ow);
            for (pr, pair) in (&mut pairs).enumerate() {
                let (upper, lower) = pair.split_at_mut(ow);
                let mut ox = 0;
                while ox < ow {
                    let at = ox.min(ow.saturating_sub(WIDE));
                    let end = (at + WIDE).min(ow);
                    let (Some(o0), Some(o1)) = (upper.get_mut(at..end), lower.get_mut(at..end)) else { break };
                    // SAFETY: P is AVX512 only under `run_avx512`, whose caller detected
                    // AVX-512, AVX2 and FMA; the lower row is inside the band, so its reads
                    // end by (n - 1) * w2 + max(ow, 16) + max_off, checked above.
                    unsafe { avx512::block2::<K>(buf, 2 * pr * w2 + at, w2, &offs, taps, bias, clamp, o0, o1) };
                    ox = at + WIDE;
                }
            }
            let o_row = pairs.into_remainder();
            if !o_row.is_empty() {
                let oy = rows - 1;
                // Rows 8 to 15 wide are one block with a masked store; in wider
                // ones the last block overlaps the one before instead.
                let mut ox = 0;
                while ox < ow {
                    let at = ox.min(ow.saturating_sub(WIDE));
                    let Some(o) = o_row.get_mut(at..(at + WIDE).min(ow)) else { break };
                    // SAFETY: P is AVX512 only under `run_avx512`, whose caller detected
                    // AVX-512, AVX2 and FMA; reads end by (n - 1) * w2 + max(ow, 16) + max_off,
                    // checked above.
                    unsafe { avx512::block::<K>(buf, oy * w2 + at, &offs, taps, bias, clamp, o) };
                    ox = at + WIDE;
                }
            }
            oy0 += rows;
            continue;
        }
        if ow < LANES {
            // A row narrower than a block is one block, stored whole while the
            // rows have room: the lanes past its end land on the next row,
            // computed afterwards. Masked stores are slow on some cores.
            for oy in 0..rows {
                let at = at0 + oy * ow;
                let stop = if at + LANES <= o_rows.len() { at + LANES } else { at + ow };
                let Some(o) = o_rows.get_mut(at..stop) else { return };
                block::<K, P>(buf, oy * w2, &offs, taps, bias, clamp, o);
            }
        } else {
            let Some(o_band) = o_rows.get_mut(at0..at0 + rows * ow) else { return };
            for (oy, o_row) in o_band.chunks_exact_mut(ow).enumerate() {
                // The last block overlaps the one before instead of a scalar tail.
                let mut ox = 0;
                while ox < ow {
                    let at = ox.min(ow - LANES);
                    let Some(o) = o_row.get_mut(at..at + LANES) else { break };
                    block::<K, P>(buf, oy * w2 + at, &offs, taps, bias, clamp, o);
                    ox = at + LANES;
                }
            }
        }
        oy0 += rows;
    }
}

/// Copies the input rows `rows_in` phase rows from output row `oy0` on need
/// into `buf` (phase planes of `r2` rows by `w2` columns). Rows outside the
/// image are zeroed; padding columns are left as they are (zero).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fill<const S: usize, const K: usize>(buf: &mut [f32; BAND], x: &[f32], ih: usize, iw: usize, w2: usize, r2: usize, rows_in: usize, oy0: usize) {
    let pad = K / 2;
    for a in 0..S {
        for r in 0..rows_in {
            let iy = (S * (oy0 + r) + a).checked_sub(pad).filter(|&iy| iy < ih);
            let src = iy.and_then(|iy| x.get(iy * iw..(iy + 1) * iw));
            // Phase b of this row starts at at(b); input column i lands in phase
            // (i + pad) % S at column (i + pad) / S.
            let at = |b: usize| ((a * S + b) * r2 + r) * w2;
            let Some(src) = src else {
                for b in 0..S {
                    if let Some(dst) = buf.get_mut(at(b)..at(b) + w2) {
                        dst.fill(0.0);
                    }
                }
                continue;
            };
            if S == 1 {
                if let Some(dst) = buf.get_mut(at(0) + pad..at(0) + pad + iw) {
                    copy(dst, src);
                }
            } else {
                // Even input columns go to phase pad % 2, odd ones to the other.
                let (be, bo) = (pad % 2, (pad + 1) % 2);
                let (ce, co) = (at(be) + pad / 2, at(bo) + pad.div_ceil(2));
                let (lo, hi) = if ce < co { (ce, co) } else { (co, ce) };
                let Some((first, second)) = buf.split_at_mut_checked(hi) else { return };
                let Some(first) = first.get_mut(lo..) else { return };
                let (even, odd) = if ce < co { (first, second) } else { (second, first) };
                for ((e, o), pair) in even.iter_mut().zip(odd.iter_mut()).zip(src.chunks_exact(2)) {
                    (*e, *o) = (pair[0], pair[1]);
                }
                if let (Some(&last), Some(e)) = (src.get(iw - 1).filter(|_| iw % 2 == 1), even.get_mut(iw / 2)) {
                    *e = last;
                }
            }
        }
    }
}

/// `dst[..n].copy_from_slice(&src[..n])` for the shorter length. Short rows
/// go in fixed-size steps (the last overlapping the one before): a call to
/// `memcpy` per row would cost more than the copy.
#[inline(always)]
fn copy(dst: &mut [f32], src: &[f32]) {
    let n = dst.len().min(src.len());
    let (dst, src) = (&mut dst[..n], &src[..n]);
    if n > 32 * LANES {
        dst.copy_from_slice(src);
    } else if n >= LANES {
        let mut i = 0;
        while i < n {
            let at = i.min(n - LANES);
            if let (Some(d), Some(s)) = (dst[at..].first_chunk_mut::<LANES>(), src[at..].first_chunk::<LANES>()) {
                *d = *s;
            }
            i = at + LANES;
        }
    } else if n >= 4 {
        for at in [0, n - 4] {
            if let (Some(d), Some(s)) = (dst[at..].first_chunk_mut::<4>(), src[at..].first_chunk::<4>()) {
                *d = *s;
            }
        }
    } else {
        dst.iter_mut().zip(src).for_each(|(d, &s)| *d = s);
    }
}

/// `o` = clamp(bias + the K×K taps of the `LANES` outputs from flat position `j`).
/// The caller keeps every `j + off + LANES` within `buf`.
#[inline(always)]
fn block<const K: usize, const P: u8>(buf: &[f32; BAND], j: usize, offs: &[[usize; K]; K], taps: &[[f32; K]; K], bias: f32, clamp: Option<(f32, f32)>, o: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if P == AVX2 || P == AVX512 {
        // SAFETY: P is AVX2 or AVX512 only under `run_avx2` or `run_avx512`, whose caller detected AVX2 and
        // FMA; `plane` checked that every window read stays inside `buf`.
        unsafe { avx2::block::<K>(buf, j, offs, taps, bias, clamp, o) };
        return;
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if crate::cpu::simd128() {
        // SAFETY: `plane` checked that every window read stays inside `buf`.
        unsafe { super::simd128::depthwise_block::<K>(buf, j, offs, taps, bias, clamp, o) };
        return;
    }
    let mut acc = [bias; LANES];
    for (offs, taps) in offs.iter().zip(taps) {
        for (&off, &wv) in offs.iter().zip(taps) {
            let Some(win) = buf.get(off + j..).and_then(|s| s.first_chunk::<LANES>()) else { continue };
            for (acc, &v) in acc.iter_mut().zip(win) {
                *acc += wv * v;
            }
        }
    }
    let e = Epilogue { bias: None, clamp, residual: None };
    o.iter_mut().zip(acc).for_each(|(o, v)| *o = e.apply(0, v));
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use core::arch::x86_64::*;

    use super::{BAND, LANES};

    /// # Safety
    /// The CPU supports AVX2 and FMA, and `j + off + LANES <= BAND` for every `off` in `offs`.
    #[inline(always)]
    pub unsafe fn block<const K: usize>(buf: &[f32; BAND], j: usize, offs: &[[usize; K]; K], taps: &[[f32; K]; K], bias: f32, clamp: Option<(f32, f32)>, o: &mut [f32]) {
        // SAFETY: the caller guarantees the features and that each 8-float window is in `buf`;
        // the store writes min(o.len(), 8) floats of `o`.
        unsafe {
            let base = buf.as_ptr().add(j);
            // Two chains halve the dependent FMAs per block.
            let mut acc = [_mm256_set1_ps(bias), _mm256_setzero_ps()];
            for (i, (offs, taps)) in offs.iter().zip(taps).enumerate() {
                for (t, (&off, &wv)) in offs.iter().zip(taps).enumerate() {
                    let c = &mut acc[(i * K + t) & 1];
                    *c = _mm256_fmadd_ps(_mm256_set1_ps(wv), _mm256_loadu_ps(base.add(off)), *c);
                }
            }
            let mut v = _mm256_add_ps(acc[0], acc[1]);
            if let Some((lo, hi)) = clamp {
                // max/min return their second operand for NaN: put v second to keep NaNs.
                v = _mm256_min_ps(_mm256_set1_ps(hi), _mm256_max_ps(_mm256_set1_ps(lo), v));
            }
            if o.len() >= LANES {
                _mm256_storeu_ps(o.as_mut_ptr(), v);
            } else {
                let on = _mm256_cmpgt_epi32(_mm256_set1_epi32(o.len() as i32), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
                _mm256_maskstore_ps(o.as_mut_ptr(), on, v);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use core::arch::x86_64::*;

    use super::{BAND, WIDE};

    /// `o` = the first `o.len().min(16)` of the 16 outputs at flat positions
    /// `j..j + 16`, each summed in the order of `avx2::block` (the same bits).
    ///
    /// # Safety
    /// The CPU supports AVX-512 F, AVX2 and FMA, and `j + off + WIDE <= BAND` for every `off` in `offs`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn block<const K: usize>(buf: &[f32; BAND], j: usize, offs: &[[usize; K]; K], taps: &[[f32; K]; K], bias: f32, clamp: Option<(f32, f32)>, o: &mut [f32]) {
        // SAFETY: the caller guarantees the features and that each 16-float window is in `buf`;
        // the stores write min(o.len(), 16) floats of `o`.
        unsafe {
            let base = buf.as_ptr().add(j);
            let mut acc = [_mm512_set1_ps(bias), _mm512_setzero_ps()];
            for (i, (offs, taps)) in offs.iter().zip(taps).enumerate() {
                for (t, (&off, &wv)) in offs.iter().zip(taps).enumerate() {
                    let c = &mut acc[(i * K + t) & 1];
                    *c = _mm512_fmadd_ps(_mm512_set1_ps(wv), _mm512_loadu_ps(base.add(off)), *c);
                }
            }
            store(_mm512_add_ps(acc[0], acc[1]), clamp, o);
        }
    }

    /// `block` for two rows of outputs at once, `o0`'s from `j` and `o1`'s from
    /// `j + w2` (the next output row of the phase planes), each summed as `block` sums it.
    ///
    /// # Safety
    /// As `block`'s, for `j` and for `j + w2`; `o0` and `o1` are as long.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn block2<const K: usize>(
        buf: &[f32; BAND],
        j: usize,
        w2: usize,
        offs: &[[usize; K]; K],
        taps: &[[f32; K]; K],
        bias: f32,
        clamp: Option<(f32, f32)>,
        o0: &mut [f32],
        o1: &mut [f32],
    ) {
        // SAFETY: as the caller guarantees.
        unsafe {
            let (upper, lower) = (buf.as_ptr().add(j), buf.as_ptr().add(j + w2));
            let mut a = [_mm512_set1_ps(bias), _mm512_setzero_ps()];
            let mut b = a;
            for (i, (offs, taps)) in offs.iter().zip(taps).enumerate() {
                for (t, (&off, &wv)) in offs.iter().zip(taps).enumerate() {
                    let (w, c) = (_mm512_set1_ps(wv), (i * K + t) & 1);
                    a[c] = _mm512_fmadd_ps(w, _mm512_loadu_ps(upper.add(off)), a[c]);
                    b[c] = _mm512_fmadd_ps(w, _mm512_loadu_ps(lower.add(off)), b[c]);
                }
            }
            store(_mm512_add_ps(a[0], a[1]), clamp, o0);
            store(_mm512_add_ps(b[0], b[1]), clamp, o1);
        }
    }

    /// Clamps `v` and stores its first `o.len().min(16)` lanes to `o`.
    ///
    /// # Safety
    /// The CPU supports AVX-512 F.
    #[inline(always)]
    unsafe fn store(v: __m512, clamp: Option<(f32, f32)>, o: &mut [f32]) {
        // SAFETY: the stores write min(o.len(), 16) floats of `o`.
        unsafe {
            let mut v = v;
            if let Some((lo, hi)) = clamp {
                // max/min return their second operand for NaN: put v second to keep NaNs.
                v = _mm512_min_ps(_mm512_set1_ps(hi), _mm512_max_ps(_mm512_set1_ps(lo), v));
            }
            if o.len() >= WIDE {
                _mm512_storeu_ps(o.as_mut_ptr(), v);
            } else {
                _mm512_mask_storeu_ps(o.as_mut_ptr(), ((1u32 << o.len()) - 1) as __mmask16, v);
            }
        }
    }
}

/// 3×3 rows too wide for a band, from row `r0` on, straight from the input with edge checks.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn wide_rows<const S: usize>(o_rows: &mut [f32], x_plane: &[f32], ih: usize, iw: usize, ow: usize, k: &[f32; 9], bias: f32, clamp: Option<(f32, f32)>, r0: usize) {
    for (oy, o_row) in o_rows.chunks_exact_mut(ow).enumerate() {
        let oy = r0 + oy;
        let rows: [Option<&[f32]>; 3] = core::array::from_fn(|ky| {
            (oy * S + ky).checked_sub(1).filter(|&iy| iy < ih).and_then(|iy| x_plane.get(iy * iw..(iy + 1) * iw))
        });
        row::<S>(o_row, rows, iw, k, bias);
        if clamp.is_some() {
            let e = Epilogue { bias: None, clamp, residual: None };
            o_row.iter_mut().for_each(|v| *v = e.apply(0, *v));
        }
    }
}

/// One output row: `o[ox] = bias + Σ_ky Σ_kx k[ky][kx] * r_ky[S*ox + kx - 1]`, zero outside the rows.
#[inline(always)]
fn row<const S: usize>(o: &mut [f32], rows: [Option<&[f32]>; 3], iw: usize, k: &[f32; 9], bias: f32) {
    let ow = o.len();
    let point = |ox: usize| -> f32 {
        let mut acc = bias;
        for (ky, r) in rows.iter().enumerate() {
            let Some(r) = r else { continue };
            for kx in 0..3 {
                if let Some(&v) = (ox * S + kx).checked_sub(1).and_then(|i| r.get(i)) {
                    acc += k[ky * 3 + kx] * v;
                }
            }
        }
        acc
    };
    // Interior columns 1..=last have all three taps inside the row.
    let last = if iw >= 2 { ((iw - 2) / S).min(ow.saturating_sub(1)) } else { 0 };
    if last >= LANES {
        // Blocks over 1..=last; the final block overlaps the one before instead of a scalar tail.
        let mut ox = 1;
        loop {
            let at = ox.min(last + 1 - LANES);
            let mut acc = [bias; LANES];
            for (ky, r) in rows.iter().enumerate() {
                // The taps of LANES outputs: a window whose length LLVM sees as a constant.
                let need = (LANES - 1) * S + 3;
                let Some(win) = r.and_then(|r| r.get(at * S - 1..at * S - 1 + need)) else { continue };
                let (w0, w1, w2) = (k[ky * 3], k[ky * 3 + 1], k[ky * 3 + 2]);
                for t in 0..LANES {
                    acc[t] += w0 * win[t * S] + w1 * win[t * S + 1] + w2 * win[t * S + 2];
                }
            }
            o[at..at + LANES].copy_from_slice(&acc);
            if at + LANES > last {
                break;
            }
            ox += LANES;
        }
    } else {
        o.iter_mut().enumerate().take(last + 1).skip(1).for_each(|(ox, v)| *v = point(ox));
    }
    o[0] = point(0);
    o.iter_mut().enumerate().skip((last + 1).max(1)).for_each(|(ox, v)| *v = point(ox));
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::testutil::{each_path, Lcg};

    #[test]
    fn matches_the_general_convolution() {
        let mut rng = Lcg(3);
        for &(c, h, w, s) in &[(1, 1, 1, 1), (2, 5, 7, 1), (3, 8, 8, 2), (2, 7, 9, 2), (4, 3, 2, 1), (1, 2, 2, 2), (2, 112, 112, 2), (2, 14, 14, 1), (1, 3, 130, 1), (1, 4, 131, 2), (2, 7, 7, 1), (2, 14, 14, 2), (1, 9, 700, 1), (1, 9, 601, 2), (3, 61, 35, 1), (2, 6, 1, 2)] {
            let oh = (h + 2 - 3) / s + 1;
            let ow = (w + 2 - 3) / s + 1;
            let p = Conv2d {
                batch: 1, in_channels: c, in_h: h, in_w: w, out_channels: c, kernel_h: 3, kernel_w: 3,
                stride_h: s, stride_w: s, pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, groups: c, out_h: oh, out_w: ow,
            };
            let mut x = vec![0.0; c * h * w];
            let mut k = vec![0.0; c * 9];
            let mut bias = vec![0.0; c];
            rng.fill(&mut x);
            rng.fill(&mut k);
            rng.fill(&mut bias);
            let mut want = vec![0.0; c * oh * ow];
            crate::conv::im2col::conv2d(&x, &k, Some(&bias), &mut want, &p);
            each_path(|path| {
                let mut got: Vec<f32> = vec![f32::NAN; c * oh * ow];
                depthwise3x3(&x, &k, &mut got, &p, Epilogue { bias: Some(&bias), clamp: None, residual: None });
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w).abs() <= 1e-5, "{path} {c}x{h}x{w}/{s}: {g} vs {w}");
                }
            });
        }
    }

    #[test]
    fn five_by_five_matches_the_general_convolution() {
        let mut rng = Lcg(5);
        for &(c, h, w, s) in &[(1, 1, 1, 1), (2, 5, 7, 1), (3, 8, 8, 2), (2, 7, 9, 2), (2, 28, 28, 2), (2, 14, 14, 1), (1, 3, 2, 1), (2, 7, 7, 1), (2, 14, 14, 2), (1, 40, 124, 1), (1, 33, 123, 2)] {
            let (oh, ow) = ((h + 4 - 5) / s + 1, (w + 4 - 5) / s + 1);
            let p = Conv2d {
                batch: 1, in_channels: c, in_h: h, in_w: w, out_channels: c, kernel_h: 5, kernel_w: 5,
                stride_h: s, stride_w: s, pad_h: 2, pad_w: 2, dilation_h: 1, dilation_w: 1, groups: c, out_h: oh, out_w: ow,
            };
            let (mut x, mut k, mut bias) = (vec![0.0; c * h * w], vec![0.0; c * 25], vec![0.0; c]);
            rng.fill(&mut x);
            rng.fill(&mut k);
            rng.fill(&mut bias);
            let mut want = vec![0.0; c * oh * ow];
            crate::conv::im2col::conv2d(&x, &k, Some(&bias), &mut want, &p);
            each_path(|path| {
                let mut got = vec![f32::NAN; c * oh * ow];
                depthwise5x5(&x, &k, &mut got, &p, Epilogue { bias: Some(&bias), clamp: Some((-0.5, 0.5)), residual: None });
                for (g, w) in got.iter().zip(&want) {
                    assert!((g - w.clamp(-0.5, 0.5)).abs() <= 1e-5, "{path} {c}x{h}x{w}/{s}: {g} vs {w}");
                }
            });
        }
    }

    /// A NaN in the input stays NaN through the clamp (ExecuTorch's clamp keeps it) on
    /// every path, wherever a window covers it, and only there.
    #[test]
    fn clamp_keeps_nan() {
        for (k, s) in [(3, 1), (3, 2), (5, 1)] {
            let p = params(2, 9, 21, k, s);
            let mut x = vec![0.25f32; 2 * 9 * 21];
            x[21 * 4 + 10] = f32::NAN;
            let wt = vec![1.0f32; 2 * k * k];
            let mut want = vec![0.0; 2 * p.out_h * p.out_w];
            crate::conv::im2col::conv2d(&x, &wt, None, &mut want, &p);
            assert!(want.iter().any(|v| v.is_nan()));
            each_path(|path| {
                let mut got = vec![0.0; want.len()];
                let e = Epilogue { bias: None, clamp: Some((0.0, 1.0)), residual: None };
                if k == 3 {
                    depthwise3x3(&x, &wt, &mut got, &p, e);
                } else {
                    depthwise5x5(&x, &wt, &mut got, &p, e);
                }
                for (at, (g, w)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(g.is_nan(), w.is_nan(), "{path} {k}x{k}/{s} at {at}: {g}");
                }
            });
        }
    }

    fn params(c: usize, h: usize, w: usize, k: usize, s: usize) -> Conv2d {
        let (oh, ow) = ((h + 2 * (k / 2) - k) / s + 1, (w + 2 * (k / 2) - k) / s + 1);
        Conv2d {
            batch: 1, in_channels: c, in_h: h, in_w: w, out_channels: c, kernel_h: k, kernel_w: k,
            stride_h: s, stride_w: s, pad_h: k / 2, pad_w: k / 2, dilation_h: 1, dilation_w: 1, groups: c, out_h: oh, out_w: ow,
        }
    }

    /// Every path against the general convolution, and AVX-512 against AVX2 bit for bit:
    /// every plane from 1×1 to 8×8, and random wider ones (widths around 16-lane blocks).
    #[test]
    fn every_path_on_small_and_random_planes() {
        let mut rng = Lcg(11);
        let mut shapes = Vec::new();
        for h in 1..=8 {
            for w in 1..=8 {
                shapes.push((2, h, w));
            }
        }
        for &w in &[15, 16, 17, 23, 31, 32, 33, 47, 56, 57, 112, 113] {
            shapes.push((2, 1 + (rng.next_f32().abs() * 9.0) as usize, w));
        }
        for _ in 0..12 {
            let (h, w) = (1 + (rng.next_f32().abs() * 60.0) as usize, 1 + (rng.next_f32().abs() * 120.0) as usize);
            shapes.push((3, h, w));
        }
        for (n, &(c, h, w)) in shapes.iter().enumerate() {
            for (k, s) in [(3, 1), (3, 2), (5, 1), (5, 2)] {
                let p = params(c, h, w, k, s);
                if !supports(&p) {
                    continue;
                }
                let (mut x, mut wt, mut bias) = (vec![0.0; c * h * w], vec![0.0; c * k * k], vec![0.0; c]);
                rng.fill(&mut x);
                rng.fill(&mut wt);
                rng.fill(&mut bias);
                let mut want = vec![0.0; c * p.out_h * p.out_w];
                let with_bias = n % 2 == 0;
                crate::conv::im2col::conv2d(&x, &wt, with_bias.then_some(&bias[..]), &mut want, &p);
                let clamp = (n % 3 != 0).then_some((-0.4, 0.6));
                if let Some((lo, hi)) = clamp {
                    want.iter_mut().for_each(|v| *v = v.clamp(lo, hi));
                }
                let e = Epilogue { bias: with_bias.then_some(&bias[..]), clamp, residual: None };
                let mut outs = Vec::new();
                each_path(|path| {
                    let mut got = vec![f32::NAN; want.len()];
                    if k == 3 {
                        depthwise3x3(&x, &wt, &mut got, &p, e);
                    } else {
                        depthwise5x5(&x, &wt, &mut got, &p, e);
                    }
                    for (g, w) in got.iter().zip(&want) {
                        assert!((g - w).abs() <= 1e-5, "{path} {k}x{k}/{s} {c}x{h}x{w}: {g} vs {w}");
                    }
                    outs.push((std::string::String::from(path), got));
                });
                if let [(a, x), (b, y), ..] = &outs[..] {
                    #[cfg(target_arch = "x86_64")]
                    assert_eq!(*a == "avx512", crate::cpu::avx512());
                    if *a == "avx512" && *b == "avx2" {
                        assert!(x.iter().zip(y).all(|(x, y)| x.to_bits() == y.to_bits()), "{k}x{k}/{s} {c}x{h}x{w}: avx512 and avx2 differ");
                    }
                }
            }
        }
    }

    /// Hot per-layer times of some mobilenet_v2 (3×3) and mobilenet_v3_small (5×5) depthwise layers, AVX-512 against
    /// AVX2 in one process. Prints, asserts nothing about time:
    /// `cargo test --release -p etch-kernels hot_layer_times -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn hot_layer_times() {
        let mut rng = Lcg(7);
        let layers = [(32, 112, 3, 1), (96, 112, 3, 2), (144, 56, 3, 1), (144, 56, 3, 2), (192, 28, 3, 1), (384, 14, 3, 1), (576, 14, 3, 2), (960, 7, 3, 1), (96, 28, 5, 2), (240, 14, 5, 1), (288, 14, 5, 2), (576, 7, 5, 1)];
        for &(c, h, k, s) in &layers {
            let p = params(c, h, h, k, s);
            let (mut x, mut wt, mut bias) = (vec![0.0; c * h * h], vec![0.0; c * k * k], vec![0.0; c]);
            rng.fill(&mut x);
            rng.fill(&mut wt);
            rng.fill(&mut bias);
            let mut out = vec![0.0; c * p.out_h * p.out_w];
            let e = Epilogue { bias: Some(&bias[..]), clamp: Some((0.0, 6.0)), residual: None };
            let mut time = |reps: usize| {
                let t = std::time::Instant::now();
                for _ in 0..reps {
                    if k == 3 {
                        depthwise3x3(&x, &wt, &mut out, &p, e);
                    } else {
                        depthwise5x5(&x, &wt, &mut out, &p, e);
                    }
                }
                t.elapsed().as_secs_f64() * 1e6 / reps as f64
            };
            let reps = 40_000_000 / (c * h * h) + 1;
            let (mut wide, mut avx2) = (Vec::new(), Vec::new());
            time(reps);
            for _ in 0..7 {
                wide.push(time(reps));
                avx2.push(crate::cpu::no_avx512(|| time(reps)));
            }
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let (a, b) = (median(&mut wide), median(&mut avx2));
            std::println!("{k}x{k} {c}x{h}x{h}/{s}: avx512 {a:.1} us, avx2 {b:.1} us, ratio {:.2}", a / b);
        }
    }
}
