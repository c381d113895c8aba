//! 3×3 convolution, stride 2, padding 1, over a few input channels: the first
//! layer of an image network (RGB in). im2col would gather 9 copies of every
//! patch for a matrix product of depth 27; here each input row needed by an
//! output row is split once into its even and odd columns, so every tap of 16
//! outputs is a contiguous window, and 6 output channels × 16 columns sum in
//! registers over all taps (in the order of the im2col product: input channel,
//! then kernel row, then column). Bias and clamp are fused; no scratch memory.

use crate::conv::im2col::Conv2d;
use crate::matmul::gemm::Epilogue;

/// Most input channels this kernel takes.
pub const MAX_CIN: usize = 4;
/// Widest output row (the row buffers live on the stack).
pub const MAX_OW: usize = 256;
/// Floats per phase row: one more than an output row, rounded up, plus a block of slack.
pub(super) const ROW: usize = MAX_OW + 24;

/// True when `p` is a convolution this kernel covers (codegen applies the same test).
pub const fn supports(p: &Conv2d) -> bool {
    p.groups == 1
        && p.in_channels >= 1
        && p.in_channels <= MAX_CIN
        && p.kernel_h == 3
        && p.kernel_w == 3
        && p.stride_h == 2
        && p.stride_w == 2
        && p.pad_h == 1
        && p.pad_w == 1
        && p.dilation_h == 1
        && p.dilation_w == 1
        && p.in_h >= 1
        && p.in_w >= 1
        && p.out_h == (p.in_h - 1) / 2 + 1
        && p.out_w == (p.in_w - 1) / 2 + 1
        && p.out_w >= 16
        && p.out_w <= MAX_OW
}

/// `out = clamp(conv(x, w) + bias)`; does nothing when `supports(p)` is false or a
/// slice is shorter than the shapes promise. The epilogue's residual is not used.
pub fn conv3x3s2(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    #[cfg(feature = "threads")]
    if split_channels(x, w, out, p, e) {
        return;
    }
    conv3x3s2_one(x, w, out, p, e);
}

/// With feature `threads` and more than one thread: ranges of output channels
/// of one image as parts of one `threads::run`; false, with nothing done, otherwise.
#[cfg(feature = "threads")]
fn split_channels(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) -> bool {
    let t = crate::threads::get();
    let (cin, cout, plane) = (p.in_channels, p.out_channels, p.out_h * p.out_w);
    let fits = out.len() >= cout * plane && w.len() >= cout * cin * 9;
    if t < 2 || p.batch != 1 || cout < 2 || cout * plane * cin * 9 < 1 << 19 || !fits || !supports(p) {
        return false;
    }
    // Whole blocks of 6 channels where each part still gets several.
    let split = crate::threads::Split::new(cout, t, if cout >= 12 * t { 6 } else { 2 });
    crate::threads::bands(out, split, plane, &|(c0, c1), o| {
        let q = Conv2d { out_channels: c1 - c0, ..*p };
        let part = Epilogue { bias: e.bias.map(|v| v.get(c0..).unwrap_or(&[])), ..e };
        conv3x3s2_one(x, w.get(c0 * cin * 9..).unwrap_or(&[]), o, &q, part);
    });
    true
}

/// `conv3x3s2` on the calling thread.
fn conv3x3s2_one(x: &[f32], w: &[f32], out: &mut [f32], p: &Conv2d, e: Epilogue<'_>) {
    let (cin, cout, ih, iw, oh, ow) = (p.in_channels, p.out_channels, p.in_h, p.in_w, p.out_h, p.out_w);
    if !supports(p) || x.len() < p.batch * cin * ih * iw || w.len() < cout * cin * 9 || out.len() < p.batch * cout * oh * ow {
        return;
    }
    // rows[ci][ky][phase]: input row 2 * oy + ky - 1 of channel ci, padded by one zero on
    // the left: phase 0 holds padded columns 0, 2, 4, …, phase 1 columns 1, 3, 5, …
    let mut rows = [[[[0.0f32; ROW]; 2]; 3]; MAX_CIN];
    for n in 0..p.batch {
        let xb = &x[n * cin * ih * iw..(n + 1) * cin * ih * iw];
        let ob = &mut out[n * cout * oh * ow..(n + 1) * cout * oh * ow];
        for oy in 0..oh {
            for (ci, chan) in rows.iter_mut().enumerate().take(cin) {
                for (ky, phases) in chan.iter_mut().enumerate() {
                    let iy = (2 * oy + ky).checked_sub(1).filter(|&iy| iy < ih);
                    let src = iy.map_or(&[][..], |iy| &xb[(ci * ih + iy) * iw..(ci * ih + iy + 1) * iw]);
                    split(src, phases, ow);
                }
            }
            #[cfg(target_arch = "x86_64")]
            if crate::cpu::avx512() {
                // SAFETY: the CPU has AVX-512 F, AVX2 and FMA; `supports` and the length
                // checks above give the bounds `avx512::row` asks for.
                unsafe { avx512::row(&rows, w, ob, cin, cout, oh, ow, oy, &e) };
                continue;
            }
            #[cfg(target_arch = "x86_64")]
            if crate::cpu::avx2_fma() {
                // SAFETY: the CPU has AVX2 and FMA; `supports` and the length checks
                // above give the bounds `avx2::row` asks for.
                unsafe { avx2::row(&rows, w, ob, cin, cout, oh, ow, oy, &e) };
                continue;
            }
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            if crate::cpu::simd128() {
                // SAFETY: `supports` and the length checks above give the bounds `stem_row` asks for.
                unsafe { super::simd128::stem_row(&rows, w, ob, cin, cout, oh, ow, oy, &e) };
                continue;
            }
            portable_row(&rows, w, ob, cin, cout, oh, ow, oy, &e);
        }
    }
}

/// Padded column c of `src` (c - 1 of the row, zero outside it) goes to
/// `phases[c % 2][c / 2]`, for c < 2 * (ow + 1): every value a row of `ow` outputs reads.
/// Input columns go in pairs (2j to odd[j], 2j + 1 to even[j + 1]), which vectorises.
#[inline(always)]
fn split(src: &[f32], phases: &mut [[f32; ROW]; 2], ow: usize) {
    let [even, odd] = phases;
    let n = ow + 1;
    even[0] = 0.0;
    let mut j = 0;
    for ((o, e), pair) in odd[..n].iter_mut().zip(even[1..=n].iter_mut()).zip(src.chunks_exact(2)) {
        (*o, *e) = (pair[0], pair[1]);
        j += 1;
    }
    // An odd-length row's last column has no partner.
    if j < n {
        if let Some(&v) = src.get(2 * j) {
            (odd[j], even[j + 1]) = (v, 0.0);
            j += 1;
        }
    }
    odd[j..n].fill(0.0);
    even[j + 1..=n].fill(0.0);
}

/// Where tap kx of output column 0 reads: (phase, offset).
#[inline(always)]
pub(super) const fn tap(kx: usize) -> (usize, usize) {
    match kx {
        0 => (0, 0),
        1 => (1, 0),
        _ => (0, 1),
    }
}

/// One output row, every channel, in plain Rust.
#[allow(clippy::too_many_arguments)]
fn portable_row(rows: &[[[[f32; ROW]; 2]; 3]; MAX_CIN], w: &[f32], out: &mut [f32], cin: usize, cout: usize, oh: usize, ow: usize, oy: usize, e: &Epilogue<'_>) {
    let e = Epilogue { residual: None, ..*e };
    for co in 0..cout {
        let wc = &w[co * cin * 9..(co + 1) * cin * 9];
        let o_row = &mut out[(co * oh + oy) * ow..(co * oh + oy + 1) * ow];
        for (ox, o) in o_row.iter_mut().enumerate() {
            let mut s = 0.0f32;
            for (ci, chan) in rows.iter().enumerate().take(cin) {
                for (ky, phases) in chan.iter().enumerate() {
                    for kx in 0..3 {
                        let (ph, off) = tap(kx);
                        s += wc[ci * 9 + ky * 3 + kx] * phases[ph][ox + off];
                    }
                }
            }
            *o = e.apply(co, s);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use core::arch::x86_64::*;

    use super::{tap, MAX_CIN, ROW};
    use crate::matmul::gemm::Epilogue;

    /// Output channels per tile: 6 × 2 accumulators, 2 windows and a weight fill the 16 registers.
    const MR: usize = 6;

    /// One output row, every channel.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; 16 <= ow <= MAX_OW; `w` holds cout * cin * 9
    /// floats and `out` cout * oh * ow; oy < oh; cin <= MAX_CIN.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn row(rows: &[[[[f32; ROW]; 2]; 3]; MAX_CIN], w: &[f32], out: &mut [f32], cin: usize, cout: usize, oh: usize, ow: usize, oy: usize, e: &Epilogue<'_>) {
        let mut ox = 0;
        while ox < ow {
            // The last block overlaps the one before instead of a masked tail.
            let at = ox.min(ow - 16);
            let mut co0 = 0;
            while co0 < cout {
                let r = (cout - co0).min(MR);
                // SAFETY: as this function's contract, for channels co0..co0+r and columns at..at+16.
                unsafe {
                    match r {
                        6 => tile::<6>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                        5 => tile::<5>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                        4 => tile::<4>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                        3 => tile::<3>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                        2 => tile::<2>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                        _ => tile::<1>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                    }
                }
                co0 += r;
            }
            ox = at + 16;
        }
    }

    /// Channels co0..co0+R, columns at..at+16 of output row oy.
    ///
    /// # Safety
    /// As `row`, with co0 + R <= cout and at + 16 <= ow.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const R: usize>(rows: &[[[[f32; ROW]; 2]; 3]; MAX_CIN], w: &[f32], out: &mut [f32], cin: usize, oh: usize, ow: usize, oy: usize, co0: usize, at: usize, e: &Epilogue<'_>) {
        // SAFETY: windows start at `at + off <= ow - 15` and read 16 floats, inside a
        // phase row of ROW > MAX_OW + 16; weights (co0 + r) * cin * 9 + t < cout * cin * 9;
        // stores are columns at..at+16 of rows (co0 + r, oy), inside `out`.
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); 2]; R];
            let taps = cin * 9;
            let wp = w.as_ptr().add(co0 * taps);
            for (ci, chan) in rows.iter().enumerate().take(cin) {
                for (ky, phases) in chan.iter().enumerate() {
                    for kx in 0..3 {
                        let (ph, off) = tap(kx);
                        let src = phases[ph].as_ptr().add(at + off);
                        let (v0, v1) = (_mm256_loadu_ps(src), _mm256_loadu_ps(src.add(8)));
                        let t = ci * 9 + ky * 3 + kx;
                        for (r, acc) in acc.iter_mut().enumerate() {
                            let wv = _mm256_broadcast_ss(&*wp.add(r * taps + t));
                            acc[0] = _mm256_fmadd_ps(wv, v0, acc[0]);
                            acc[1] = _mm256_fmadd_ps(wv, v1, acc[1]);
                        }
                    }
                }
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                let co = co0 + r;
                if let Some(bias) = e.bias {
                    let b = _mm256_set1_ps(bias.get(co).copied().unwrap_or(0.0));
                    acc.iter_mut().for_each(|v| *v = _mm256_add_ps(*v, b));
                }
                if let Some((lo, hi)) = e.clamp {
                    let (lo, hi) = (_mm256_set1_ps(lo), _mm256_set1_ps(hi));
                    // max/min return their second operand for NaN: put v second to keep NaNs.
                    acc.iter_mut().for_each(|v| *v = _mm256_min_ps(hi, _mm256_max_ps(lo, *v)));
                }
                let o = out.as_mut_ptr().add((co * oh + oy) * ow + at);
                _mm256_storeu_ps(o, acc[0]);
                _mm256_storeu_ps(o.add(8), acc[1]);
            }
        }
    }
}

/// The AVX2 row with 16-lane registers: tiles of 6 channels × 64 columns,
/// each output summed in the same order (the same bits).
#[cfg(target_arch = "x86_64")]
mod avx512 {
    use core::arch::x86_64::*;

    use super::{tap, MAX_CIN, ROW};
    use crate::matmul::gemm::Epilogue;

    /// Output channels per tile: 6 × 4 accumulators, 4 windows and a weight of
    /// the 32 registers (12 × 2 spilled the weights LLVM broadcast ahead).
    const MR: usize = 6;

    /// One output row, every channel.
    ///
    /// # Safety
    /// The CPU supports AVX-512 F, AVX2 and FMA; 16 <= ow <= MAX_OW; `w` holds
    /// cout * cin * 9 floats and `out` cout * oh * ow; oy < oh; cin <= MAX_CIN.
    #[target_feature(enable = "avx512f,avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn row(rows: &[[[[f32; ROW]; 2]; 3]; MAX_CIN], w: &[f32], out: &mut [f32], cin: usize, cout: usize, oh: usize, ow: usize, oy: usize, e: &Epilogue<'_>) {
        // Blocks of 64 columns, the last overlapping the one before; narrower
        // rows (16 at least) in blocks of 16.
        let width = if ow >= 64 { 64 } else { 16 };
        let mut ox = 0;
        while ox < ow {
            let at = ox.min(ow - width);
            let mut co0 = 0;
            while co0 < cout {
                let r = (cout - co0).min(MR);
                // SAFETY: as this function's contract, for channels co0..co0+r and columns at..at+width.
                unsafe {
                    if width == 64 {
                        tiles::<4>(rows, w, out, cin, oh, ow, oy, co0, r, at, e);
                    } else {
                        tiles::<1>(rows, w, out, cin, oh, ow, oy, co0, r, at, e);
                    }
                }
                co0 += r;
            }
            ox = at + width;
        }
    }

    /// # Safety
    /// As `tile`, with R = r.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tiles<const V: usize>(rows: &[[[[f32; ROW]; 2]; 3]; MAX_CIN], w: &[f32], out: &mut [f32], cin: usize, oh: usize, ow: usize, oy: usize, co0: usize, r: usize, at: usize, e: &Epilogue<'_>) {
        // SAFETY: as the caller guarantees.
        unsafe {
            match r {
                6 => tile::<6, V>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                5 => tile::<5, V>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                4 => tile::<4, V>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                3 => tile::<3, V>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                2 => tile::<2, V>(rows, w, out, cin, oh, ow, oy, co0, at, e),
                _ => tile::<1, V>(rows, w, out, cin, oh, ow, oy, co0, at, e),
            }
        }
    }

    /// Channels co0..co0+R, columns at..at+16V of output row oy.
    ///
    /// # Safety
    /// As `row`, with co0 + R <= cout and at + 16V <= ow.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const R: usize, const V: usize>(rows: &[[[[f32; ROW]; 2]; 3]; MAX_CIN], w: &[f32], out: &mut [f32], cin: usize, oh: usize, ow: usize, oy: usize, co0: usize, at: usize, e: &Epilogue<'_>) {
        // SAFETY: windows start at `at + off <= ow - 16V + 1` and read 16V floats,
        // inside a phase row of ROW > MAX_OW + 16; weights (co0 + r) * cin * 9 + t <
        // cout * cin * 9; stores are columns at..at+16V of rows (co0 + r, oy), inside `out`.
        unsafe {
            let mut acc = [[_mm512_setzero_ps(); V]; R];
            let taps = cin * 9;
            let wp = w.as_ptr().add(co0 * taps);
            for (ci, chan) in rows.iter().enumerate().take(cin) {
                for (ky, phases) in chan.iter().enumerate() {
                    for kx in 0..3 {
                        let (ph, off) = tap(kx);
                        let src = phases[ph].as_ptr().add(at + off);
                        let v: [__m512; V] = core::array::from_fn(|i| _mm512_loadu_ps(src.add(16 * i)));
                        let t = ci * 9 + ky * 3 + kx;
                        for (r, acc) in acc.iter_mut().enumerate() {
                            let wv = _mm512_set1_ps(*wp.add(r * taps + t));
                            for (acc, &v) in acc.iter_mut().zip(&v) {
                                *acc = _mm512_fmadd_ps(wv, v, *acc);
                            }
                        }
                    }
                }
            }
            let (lo, hi) = e.clamp.map_or((_mm512_setzero_ps(), _mm512_setzero_ps()), |(lo, hi)| (_mm512_set1_ps(lo), _mm512_set1_ps(hi)));
            for (r, acc) in acc.iter_mut().enumerate() {
                let co = co0 + r;
                if let Some(bias) = e.bias {
                    let b = _mm512_set1_ps(bias.get(co).copied().unwrap_or(0.0));
                    acc.iter_mut().for_each(|v| *v = _mm512_add_ps(*v, b));
                }
                if e.clamp.is_some() {
                    // max/min return their second operand for NaN: put v second to keep NaNs.
                    acc.iter_mut().for_each(|v| *v = _mm512_min_ps(hi, _mm512_max_ps(lo, *v)));
                }
                let o = out.as_mut_ptr().add((co * oh + oy) * ow + at);
                for (i, &v) in acc.iter().enumerate() {
                    _mm512_storeu_ps(o.add(16 * i), v);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;

    use super::*;
    use crate::testutil::{each_path, Lcg};

    #[test]
    fn matches_the_general_convolution() {
        let mut rng = Lcg(21);
        for &(batch, cin, cout, h, w) in &[(1, 3, 32, 224, 224), (1, 3, 16, 33, 31), (2, 1, 7, 32, 40), (1, 4, 13, 35, 64), (1, 2, 5, 31, 511), (1, 3, 6, 2, 32)] {
            let (oh, ow) = ((h - 1) / 2 + 1, (w - 1) / 2 + 1);
            let p = Conv2d {
                batch, in_channels: cin, in_h: h, in_w: w, out_channels: cout, kernel_h: 3, kernel_w: 3,
                stride_h: 2, stride_w: 2, pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, groups: 1, out_h: oh, out_w: ow,
            };
            assert!(supports(&p), "{p:?}");
            let (mut x, mut k, mut bias) = (vec![0.0; batch * cin * h * w], vec![0.0; cout * cin * 9], vec![0.0; cout]);
            rng.fill(&mut x);
            rng.fill(&mut k);
            rng.fill(&mut bias);
            let mut want = vec![0.0; batch * cout * oh * ow];
            crate::conv::im2col::conv2d(&x, &k, Some(&bias), &mut want, &p);
            for clamp in [None, Some((-0.5f32, 0.5f32))] {
                each_path(|path| {
                    let mut got = vec![f32::NAN; want.len()];
                    conv3x3s2(&x, &k, &mut got, &p, Epilogue { bias: Some(&bias), clamp, residual: None });
                    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                        let w = clamp.map_or(*w, |(lo, hi)| w.clamp(lo, hi));
                        assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "{path} {p:?} at {i}: {g} vs {w}");
                    }
                });
            }
        }
    }

    #[test]
    fn narrow_or_wide_rows_are_left_to_other_kernels() {
        let p = |w: usize| Conv2d {
            batch: 1, in_channels: 3, in_h: 9, in_w: w, out_channels: 4, kernel_h: 3, kernel_w: 3,
            stride_h: 2, stride_w: 2, pad_h: 1, pad_w: 1, dilation_h: 1, dilation_w: 1, groups: 1, out_h: 5, out_w: (w - 1) / 2 + 1,
        };
        assert!(!supports(&p(29)) && supports(&p(31)) && supports(&p(512)) && !supports(&p(513)));
    }
}
