//! Blocked f32 matrix product with a fused epilogue:
//! `out[i][j] = clamp(Σ_k a[i][k] * b[k][j] + bias[i]) + residual[i][j]`.
//!
//! This is the workhorse of 1×1 convolutions (`a` = weights `[cout, cin]`,
//! `b` = activations `[cin, h*w]`). The sum order differs from ExecuTorch's
//! portable kernel (blocks, FMA), within the same rounding as XNNPACK's.

use crate::conv::patches::Patches;

/// What happens to each output after the sum: per-row bias, then clamp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epilogue<'a> {
    pub bias: Option<&'a [f32]>,
    /// `(min, max)`; `None` keeps values (and NaNs) as they are.
    pub clamp: Option<(f32, f32)>,
    /// Added last, element by element, shaped like the output: a skip
    /// connection's add. Only `gemm` and `conv::pointwise` take one; the other
    /// kernels leave their output without it (codegen never passes it there).
    pub residual: Option<&'a [f32]>,
}

impl Epilogue<'_> {
    pub const NONE: Epilogue<'static> = Epilogue { bias: None, clamp: None, residual: None };

    #[inline(always)]
    pub fn apply(&self, row: usize, v: f32) -> f32 {
        let v = match self.bias {
            Some(b) => v + b.get(row).copied().unwrap_or(0.0),
            None => v,
        };
        match self.clamp {
            // Written so a NaN passes through, as ExecuTorch's clamp does.
            Some((lo, hi)) => {
                let v = if v < lo { lo } else { v };
                if v > hi {
                    hi
                } else {
                    v
                }
            }
            None => v,
        }
    }

    /// `apply`, then the residual's element `at` (output index).
    #[inline(always)]
    pub fn apply_at(&self, row: usize, at: usize, v: f32) -> f32 {
        let v = self.apply(row, v);
        match self.residual {
            Some(r) => v + r.get(at).copied().unwrap_or(0.0),
            None => v,
        }
    }
}

/// `out[m, n] = epilogue(a[m, k] @ b[k, n])`, all row-major.
pub fn gemm(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, epilogue: Epilogue<'_>) {
    product(out, a, Rhs::Dense(b), m, k, n, epilogue);
}

/// `out[m, cols] = epilogue(a[m, rows] @ patches)`, the patches read in place;
/// false, with nothing done, where only the portable kernel (which does not
/// pack `b`) would run: the caller then stores the patches itself.
pub fn gemm_patches(out: &mut [f32], a: &[f32], b: &Patches<'_>, m: usize, epilogue: Epilogue<'_>) -> bool {
    if !packs() {
        return false;
    }
    product(out, a, Rhs::Patches(b), m, b.rows(), b.cols(), epilogue);
    true
}

/// The right-hand matrix of a product: stored row-major, or an image's patches.
#[derive(Clone, Copy)]
pub(crate) enum Rhs<'a> {
    Dense(&'a [f32]),
    Patches(&'a Patches<'a>),
}

impl Rhs<'_> {
    /// Holds a `k × n` matrix.
    fn fits(&self, k: usize, n: usize) -> bool {
        match self {
            Rhs::Dense(b) => b.len() >= k * n,
            Rhs::Patches(p) => p.rows() == k && p.cols() == n,
        }
    }
}

/// A SIMD kernel, which packs `b` into panels, runs here.
fn packs() -> bool {
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx512() || crate::cpu::avx2_fma() {
        return true;
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if crate::cpu::simd128() {
        return true;
    }
    false
}

fn product(out: &mut [f32], a: &[f32], b: Rhs<'_>, m: usize, k: usize, n: usize, epilogue: Epilogue<'_>) {
    #[cfg(feature = "threads")]
    if split(out, a, b, m, k, n, epilogue) {
        return;
    }
    gemm_one(out, a, b, m, k, n, epilogue);
}

/// Products at least this large (multiply-adds) are split across threads.
#[cfg(feature = "threads")]
const SPLIT_MIN: usize = 1 << 19;

/// With feature `threads` and more than one thread: parts of `out` as parts of
/// one `threads::run`; false, with nothing done, for a product too small to split.
/// An x86 kernel takes bands of columns, so each part packs only its own columns
/// of `b`; elsewhere, or with too few columns, parts are bands of rows, and every
/// part packs all of `b`.
#[cfg(feature = "threads")]
fn split(out: &mut [f32], a: &[f32], b: Rhs<'_>, m: usize, k: usize, n: usize, e: Epilogue<'_>) -> bool {
    let t = crate::threads::get();
    let fits = out.len() >= m * n && a.len() >= m * k && b.fits(k, n) && e.residual.is_none_or(|r| r.len() >= m * n);
    if t < 2 || m.saturating_mul(k).saturating_mul(n) < SPLIT_MIN || !fits {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    if n.div_ceil(32) >= t && k > 0 && (crate::cpu::avx512() || crate::cpu::avx2_fma()) {
        // Whole panels of 32 columns (the tails, summed in another order, stay
        // where one call puts them), 64 or more a part where there are enough
        // (each reads all of `a` once per block of columns), several per thread.
        // A panel a thread at least: bands of rows would each pack all of `b`
        // (a 7 × 7 image's 49 columns go as 32 and 17, both a panel of work).
        let split = crate::threads::Split::new(n, (n / 64).clamp(t, 4 * t), 32);
        let dst = crate::threads::Shared(out.as_mut_ptr());
        crate::threads::run(split.parts, &|i| {
            let cols = split.range(i);
            // SAFETY: `fits` checked every length; part i writes only columns
            // cols of `out`, which no other part touches while `run` waits; the
            // kernel's CPU features are those just checked.
            unsafe { kernel(dst.get(), a, b, m, k, n, cols, e) };
        });
        return true;
    }
    if m < 2 {
        return false;
    }
    // Whole 6-row tiles where each part still gets several; 4 parts per thread
    // where each still has 12 rows or more (every part packs its own copy of `b`).
    let parts = if m >= 48 * t { 4 * t } else { t };
    let split = crate::threads::Split::new(m, parts, if m >= 12 * t { 6 } else { 2 });
    crate::threads::bands(out, split, n, &|(r0, r1), o| {
        let part = Epilogue {
            bias: e.bias.map(|v| v.get(r0..).unwrap_or(&[])),
            clamp: e.clamp,
            residual: e.residual.map(|v| v.get(r0 * n..).unwrap_or(&[])),
        };
        gemm_one(o, a.get(r0 * k..).unwrap_or(&[]), b, r1 - r0, k, n, part);
    });
    true
}

/// Columns `cols` of the product on an x86 SIMD kernel.
///
/// # Safety
/// `out`, `a`, `b` and the residual hold what `gemm_one`'s `fits` checks, k > 0,
/// the CPU has AVX-512 (`cpu::avx512`) or AVX2 and FMA, `cols` is as the kernels
/// take it, and no other thread reads or writes those columns of `out` meanwhile.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel(out: *mut f32, a: &[f32], b: Rhs<'_>, m: usize, k: usize, n: usize, cols: (usize, usize), e: Epilogue<'_>) {
    if crate::cpu::avx512() {
        // SAFETY: the CPU has AVX-512 F/BW/DQ/VL, AVX2 and FMA; the rest is the caller's.
        unsafe { super::gemm_avx512::gemm(out, a, b, m, k, n, cols, e) };
    } else {
        // SAFETY: the CPU has AVX2 and FMA (the caller's); the rest is the caller's.
        unsafe { avx2::gemm(out, a, b, m, k, n, cols, e) };
    }
}

/// `gemm` on the calling thread.
fn gemm_one(out: &mut [f32], a: &[f32], b: Rhs<'_>, m: usize, k: usize, n: usize, epilogue: Epilogue<'_>) {
    let fits = out.len() >= m * n && a.len() >= m * k && b.fits(k, n) && epilogue.residual.is_none_or(|r| r.len() >= m * n);
    #[cfg(target_arch = "x86_64")]
    if fits && k > 0 && n > 0 && (crate::cpu::avx512() || crate::cpu::avx2_fma()) {
        // SAFETY: `fits` checked that every slice (the residual too) holds the
        // elements the kernel indexes, the CPU features are those just checked,
        // and `out` is this call's alone, all of its columns.
        unsafe { kernel(out.as_mut_ptr(), a, b, m, k, n, (0, n), epilogue) };
        return;
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if fits && k > 0 && crate::cpu::simd128() {
        // SAFETY: `fits` checked that every slice (the residual too) holds the
        // elements the kernel indexes.
        unsafe { super::gemm_wasm::gemm(out, a, b, m, k, n, epilogue) };
        return;
    }
    // Patches come here only where `packs` said a SIMD kernel runs.
    if let (true, Rhs::Dense(b)) = (fits, b) {
        portable(out, a, b, m, k, n, epilogue);
    }
}

/// Register tile of the portable kernel: 4 × 4 sums stay in registers over all of `k`
/// (16 accumulators fit a Cortex-M4F's 32 single-precision registers).
const TILE: usize = 4;

/// Plain Rust for any target: full 4 × 4 tiles sum in registers, the edges one
/// output at a time. No indexing can fail: every row is sliced once, checked.
fn portable(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, epilogue: Epilogue<'_>) {
    if n == 0 || out.len() < m * n || a.len() < m * k || b.len() < k * n {
        return;
    }
    if k == 0 {
        // Empty sums: only the epilogue remains.
        for (i, o_row) in out.chunks_exact_mut(n).take(m).enumerate() {
            o_row.iter_mut().enumerate().for_each(|(j, o)| *o = epilogue.apply_at(i, i * n + j, 0.0));
        }
        return;
    }
    let (full_m, full_n) = (m / TILE * TILE, n / TILE * TILE);
    for i0 in (0..full_m).step_by(TILE) {
        let rows: [&[f32]; TILE] = core::array::from_fn(|r| a.get((i0 + r) * k..(i0 + r + 1) * k).unwrap_or(&[]));
        for j0 in (0..full_n).step_by(TILE) {
            let mut acc = [[0.0f32; TILE]; TILE];
            for (kk, b_row) in b.chunks_exact(n).take(k).enumerate() {
                let Some(bv) = b_row.get(j0..j0 + TILE) else { return };
                for (acc, row) in acc.iter_mut().zip(&rows) {
                    let av = row.get(kk).copied().unwrap_or(0.0);
                    acc.iter_mut().zip(bv).for_each(|(s, &x)| *s += av * x);
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                let at = (i0 + r) * n + j0;
                if let Some(o) = out.get_mut(at..at + TILE) {
                    o.iter_mut().zip(acc).enumerate().for_each(|(c, (o, &v))| *o = epilogue.apply_at(i0 + r, at + c, v));
                }
            }
        }
    }
    // Edges: the last m % 4 rows and the last n % 4 columns.
    for (i, (a_row, o_row)) in a.chunks_exact(k).zip(out.chunks_exact_mut(n)).take(m).enumerate() {
        let start = if i < full_m { full_n } else { 0 };
        for (j, o) in o_row.iter_mut().enumerate().skip(start) {
            let column = b.iter().skip(j).step_by(n);
            let s = a_row.iter().take(k).zip(column).fold(0.0f32, |s, (&x, &y)| s + x * y);
            *o = epilogue.apply_at(i, i * n + j, s);
        }
    }
}

/// The part of the product one packed block of `b` covers (the SIMD kernels').
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
#[derive(Clone, Copy)]
pub(super) struct Block {
    pub k0: usize,
    pub kc: usize,
    pub jc: usize,
    pub nc: usize,
    /// The block starts the sum (else `out` holds the earlier blocks' part)…
    pub first: bool,
    /// …or ends it (then the epilogue applies).
    pub last: bool,
}

/// Floats in a packed block of `b` in the SIMD kernels (KC × NC = 256 × 64).
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
pub(super) const PACK: usize = 256 * 64;

/// Block `b[k0..k0+kc][jc..jc+nc]` into `pack` as panels of NR columns, `apart`
/// floats apart, each by `panel` (the kernel's `pack_panel`). Patches are first
/// laid out as the block's `kc × nc` matrix, so their per-row work covers the
/// block's columns rather than one panel's, then packed as a stored `b`.
///
/// # Safety
/// `panel` is safe to call as its kernel's `pack_panel` for each panel of a
/// stored `b` with these rows and columns; `pack` holds PACK floats, with
/// kc * NR <= apart and nc.div_ceil(NR) * apart <= PACK; for patches nc <= 64
/// (the widest they lay out: past it, `rows` would be read where nothing wrote).
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn pack_block<const NR: usize>(
    pack: *mut f32,
    apart: usize,
    b: Rhs<'_>,
    n: usize,
    (k0, kc): (usize, usize),
    (jc, nc): (usize, usize),
    panel: impl Fn(*mut f32, &[f32], usize, usize, usize, usize, usize),
) {
    match b {
        Rhs::Dense(b) => {
            for (p, j0) in (jc..jc + nc).step_by(NR).enumerate() {
                panel(pack.wrapping_add(p * apart), b, n, k0, kc, j0, n - j0);
            }
        }
        Rhs::Patches(x) => {
            let mut rows = core::mem::MaybeUninit::<[f32; PACK]>::uninit();
            let len = (kc * nc).min(PACK);
            // SAFETY: `rows` holds PACK floats, `len` at most.
            let buf = unsafe { core::slice::from_raw_parts_mut(rows.as_mut_ptr().cast(), len) };
            x.pack(buf, nc, k0, kc, jc, nc);
            // SAFETY: `pack` wrote all `len` floats of `buf`.
            let rows = unsafe { core::slice::from_raw_parts(rows.as_ptr().cast::<f32>(), len) };
            for (p, j0) in (0..nc).step_by(NR).enumerate() {
                panel(pack.wrapping_add(p * apart), rows, nc, 0, kc, j0, nc - j0);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use core::arch::x86_64::*;
    use core::mem::MaybeUninit;

    use super::{Block, Epilogue, Rhs};

    /// Columns per panel: two 8-lane registers.
    const NR: usize = 16;
    /// Rows of a tile.
    const MR: usize = 6;
    /// Rows of `b` per packed block.
    const KC: usize = 256;
    /// Columns of `b` per packed block (4 panels): KC × NC floats are 64 KiB of stack.
    const NC: usize = 64;

    /// Columns `c0..c1` of `out[m, n] = epilogue(a[m, k] @ b[k, n])`.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `out`, `a`, `b` (and the residual, if
    /// any) hold at least `m*n`, `m*k`, `k*n` (`m*n`) elements; c0 < c1 <= n;
    /// no other thread reads or writes columns c0..c1 of `out` meanwhile.
    #[target_feature(enable = "avx2,fma")]
    #[allow(clippy::too_many_arguments)]
    pub(crate) unsafe fn gemm(out: *mut f32, a: &[f32], b: Rhs<'_>, m: usize, k: usize, n: usize, (c0, c1): (usize, usize), e: Epilogue<'_>) {
        if let (1, Rhs::Dense(b)) = (n, b) {
            // SAFETY: as the caller guarantees, with n = 1: the one column is this call's.
            unsafe { gemv(core::slice::from_raw_parts_mut(out, m), a, b, m, k, &e) };
            return;
        }
        // A block of `b` (KC rows × NC columns) is copied into `pack` as 16-column
        // panels, so tiles read it contiguously (rows of `b` lie n floats apart, a
        // page apart for large images). Each 6-row slice of `a` then passes over all
        // the block's panels while it sits in L1, so `a` is read n / NC times, not n / 16.
        let mut pack = MaybeUninit::<Pack>::uninit();
        let pack = pack.as_mut_ptr().cast::<f32>();
        // SAFETY: `pack_block` calls this only as `pack_panel` may be called.
        let panel = |d, b: &[f32], n, k0, kc, j0, cols| unsafe { pack_panel(d, b, n, k0, kc, j0, cols) };
        // Tails are where a block ends (at c1 for the last), so a part of the
        // columns writes none past its own.
        for jc in (c0..c1).step_by(NC) {
            let nc = (c1 - jc).min(NC);
            for k0 in (0..k).step_by(KC) {
                let kc = (k - k0).min(KC);
                // SAFETY: rows k0..k0+kc and columns jc..jc+nc are inside `b`; kc <= KC, nc <= NC
                // (KC × NC = PACK); the closure is this kernel's `pack_panel`, as `pack_block` needs.
                unsafe { super::pack_block::<NR>(pack, KC * NR, b, n, (k0, kc), (jc, nc), panel) };
                let blk = Block { k0, kc, jc, nc, first: k0 == 0, last: k0 + kc == k };
                // A last panel of at most 8 columns has one register per tile row:
                // it goes in tiles of 12 rows afterwards, so 12 sums are in flight.
                let last = (nc - 1) / NR;
                let tail = (nc - last * NR <= 8).then_some((last, jc + last * NR));
                let full = tail.map_or(usize::MAX, |(p, _)| p);
                let mut i0 = 0;
                while i0 < m {
                    let r = (m - i0).min(MR);
                    // SAFETY: rows i0..i0+r of `a` and `out` are in bounds (caller's sizes);
                    // the panels read were all written just above.
                    unsafe {
                        match r {
                            6 => panels::<6>(out, a, pack, k, n, i0, blk, full, &e),
                            5 => panels::<5>(out, a, pack, k, n, i0, blk, full, &e),
                            4 => panels::<4>(out, a, pack, k, n, i0, blk, full, &e),
                            3 => panels::<3>(out, a, pack, k, n, i0, blk, full, &e),
                            2 => panels::<2>(out, a, pack, k, n, i0, blk, full, &e),
                            _ => panels::<1>(out, a, pack, k, n, i0, blk, full, &e),
                        }
                    }
                    i0 += r;
                }
                if let Some((p, j0)) = tail.filter(|&(_, j0)| jc + nc - j0 <= DOT_MAX) {
                    // SAFETY: as below.
                    unsafe { dot_tail(out, a, pack.add(p * KC * NR), k, n, m, j0, jc + nc, blk, &e) };
                } else if let Some((p, j0)) = tail {
                    // SAFETY: as above; panel p was packed for this block and
                    // columns j0..n (at most 8) are the ones `m` leaves on.
                    unsafe {
                        let (panel, msk) = (pack.add(p * KC * NR), mask(jc + nc - j0));
                        let mut i0 = 0;
                        while i0 < m {
                            let r = if m - i0 >= 12 { 12 } else { (m - i0).min(MR) };
                            match r {
                                12 => tile::<12, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                                6 => tile::<6, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                                5 => tile::<5, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                                4 => tile::<4, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                                3 => tile::<3, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                                2 => tile::<2, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                                _ => tile::<1, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                            }
                            i0 += r;
                        }
                    }
                }
            }
        }
    }

    /// Tails this narrow go column by column as dot products along `k`
    /// (`dot_tail`): a tile would spend 8 lanes on each of them. (Up to 4 was
    /// tried: 3 and 4 columns cost more instructions this way than in tiles.)
    const DOT_MAX: usize = 2;

    /// Columns `j0..n` (at most `DOT_MAX`) of the block, each as `m` dot products
    /// along `k`: the column is copied out of its packed panel, then every row of
    /// `a` meets it 16 lanes at a time. Adds to what earlier blocks left in `out`.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; rows 0..m of `a` (k floats) and `out` (n
    /// floats) are in bounds, `blk.kc` packed rows of 16 are at `panel`, and
    /// j0 < n <= j0 + DOT_MAX.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn dot_tail(out: *mut f32, a: &[f32], panel: *const f32, k: usize, n: usize, m: usize, j0: usize, end: usize, blk: Block, e: &Epilogue<'_>) {
        let kc = blk.kc.min(KC);
        let full = kc / 16 * 16;
        let mut col = [0.0f32; KC];
        for c in 0..end - j0 {
            for (kk, v) in col.iter_mut().enumerate().take(kc) {
                // SAFETY: row kk < kc of the panel, column c < 16.
                *v = unsafe { *panel.add(kk * NR + c) };
            }
            for i in 0..m {
                // SAFETY: row i < m of `a` holds k0 + kc <= k floats; `col` holds kc;
                // output (i, j0 + c) is inside `out` (the caller's sizes).
                unsafe {
                    let row = a.as_ptr().add(i * k + blk.k0);
                    let (mut s0, mut s1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
                    for kk in (0..full).step_by(16) {
                        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(row.add(kk)), _mm256_loadu_ps(col.as_ptr().add(kk)), s0);
                        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(row.add(kk + 8)), _mm256_loadu_ps(col.as_ptr().add(kk + 8)), s1);
                    }
                    let mut lanes = [0.0f32; 8];
                    _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_add_ps(s0, s1));
                    let mut s = lanes.iter().sum::<f32>();
                    for (kk, &cv) in col.iter().enumerate().take(kc).skip(full) {
                        s += *row.add(kk) * cv;
                    }
                    let at = i * n + j0 + c;
                    let o = out.add(at);
                    if !blk.first {
                        s += *o;
                    }
                    *o = if blk.last { e.apply_at(i, at, s) } else { s };
                }
            }
        }
    }

    /// `out[i] = epilogue(a[i, :] · b)`: a matrix times one column (a 1×1
    /// convolution of a 1×1 image, as in squeeze-and-excite blocks). Lanes run
    /// along `k`, where a 16-column tile would use one lane of sixteen.
    ///
    /// # Safety
    /// The CPU supports AVX2 and FMA; `out`, `a`, `b` (and the residual, if
    /// any) hold at least `m`, `m*k`, `k` (`m`) elements.
    #[target_feature(enable = "avx2,fma")]
    #[inline(never)]
    unsafe fn gemv(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, e: &Epilogue<'_>) {
        // SAFETY: every load is of row i < m of `a` (k floats) or of `b` (k floats),
        // at offsets below k; the caller guarantees the lengths.
        unsafe {
            let full = k / 32 * 32;
            for (i, o) in out.iter_mut().enumerate().take(m) {
                let row = a.as_ptr().add(i * k);
                let mut acc = [_mm256_setzero_ps(); 4];
                for kk in (0..full).step_by(32) {
                    for (v, acc) in acc.iter_mut().enumerate() {
                        let at = kk + 8 * v;
                        *acc = _mm256_fmadd_ps(_mm256_loadu_ps(row.add(at)), _mm256_loadu_ps(b.as_ptr().add(at)), *acc);
                    }
                }
                let sum = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
                let mut lanes = [0.0f32; 8];
                _mm256_storeu_ps(lanes.as_mut_ptr(), sum);
                let mut s = lanes.iter().sum::<f32>();
                for kk in full..k {
                    s += *row.add(kk) * *b.get_unchecked(kk);
                }
                *o = e.apply_at(i, i, s);
            }
        }
    }

    const _: () = assert!(KC * NC == super::PACK);

    /// Cache-line aligned, so no panel row straddles two lines.
    #[repr(C, align(64))]
    struct Pack([f32; KC * NC]);


    /// Lanes `0..cols` on, for the two registers of a panel row.
    #[inline(always)]
    unsafe fn mask(cols: usize) -> [__m256i; 2] {
        // SAFETY: register arithmetic only.
        unsafe {
            let c = cols.min(NR) as i32;
            let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            [_mm256_cmpgt_epi32(_mm256_set1_epi32(c), lanes), _mm256_cmpgt_epi32(_mm256_set1_epi32(c - 8), lanes)]
        }
    }

    /// Copies `b[k0..k0+kc][j0..j0+16]` to `dst` as kc rows of 16, zeros past `cols`.
    #[inline(always)]
    unsafe fn pack_panel(dst: *mut f32, b: &[f32], n: usize, k0: usize, kc: usize, j0: usize, cols: usize) {
        // SAFETY: the caller guarantees the rows and the first min(cols, 16) columns
        // are in `b`, and room for kc × 16 floats at `dst`.
        unsafe {
            let mut src = b.as_ptr().add(k0 * n + j0);
            let m = mask(cols);
            for kk in 0..kc {
                let (v0, v1) = if cols >= NR {
                    (_mm256_loadu_ps(src), _mm256_loadu_ps(src.add(8)))
                } else {
                    (_mm256_maskload_ps(src, m[0]), _mm256_maskload_ps(src.add(8), m[1]))
                };
                _mm256_storeu_ps(dst.add(kk * NR), v0);
                _mm256_storeu_ps(dst.add(kk * NR + 8), v1);
                src = src.add(n);
            }
        }
    }

    /// One R-row slice of `a` over the block's panels before panel `end`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn panels<const R: usize>(out: *mut f32, a: &[f32], pack: *const f32, k: usize, n: usize, i0: usize, blk: Block, end: usize, e: &Epilogue<'_>) {
        for (p, j0) in (blk.jc..blk.jc + blk.nc).step_by(NR).enumerate().take(end) {
            let cols = (blk.jc + blk.nc - j0).min(NR);
            // SAFETY: as the caller guarantees; panel p was packed for this block.
            unsafe {
                let panel = pack.add(p * KC * NR);
                let m = mask(cols);
                // Panels of at most 8 columns are the caller's (`end`).
                if cols == NR {
                    tile::<R, 2, false>(out, a, panel, k, n, i0, j0, blk, e, m);
                } else {
                    tile::<R, 2, true>(out, a, panel, k, n, i0, j0, blk, e, m);
                }
            }
        }
    }

    /// An R × 8V tile of `out`, summed over the block's rows of `k` in registers,
    /// on top of what earlier blocks left in `out`. With `MASKED`, lanes off in
    /// `mask` are neither loaded from nor stored to `out`.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const R: usize, const V: usize, const MASKED: bool>(
        out: *mut f32,
        a: &[f32],
        panel: *const f32,
        k: usize,
        n: usize,
        i0: usize,
        j0: usize,
        blk: Block,
        e: &Epilogue<'_>,
        mask: [__m256i; 2],
    ) {
        // SAFETY: the caller guarantees rows i0..i0+R inside `a` and `out` (and the
        // residual, as long as `out`), the columns from j0 that `mask` leaves on
        // inside `out`, and kc packed rows of 16 at `panel`.
        unsafe {
            let base = out;
            let o = |r: usize, v: usize| base.add((i0 + r) * n + j0 + 8 * v);
            let mut acc = [[_mm256_setzero_ps(); V]; R];
            if !blk.first {
                for (r, acc) in acc.iter_mut().enumerate() {
                    for (v, acc) in acc.iter_mut().enumerate() {
                        *acc = if MASKED { _mm256_maskload_ps(o(r, v), mask[v]) } else { _mm256_loadu_ps(o(r, v)) };
                    }
                }
            }
            // One pointer per row: the loop then needs no multiple of `k`, which
            // LLVM otherwise reloads from the stack once per row and step.
            let rows: [*const f32; R] = core::array::from_fn(|r| a.as_ptr().add((i0 + r) * k + blk.k0));
            let mut b_ptr = panel;
            for kk in 0..blk.kc {
                let bv: [__m256; V] = core::array::from_fn(|v| _mm256_loadu_ps(b_ptr.add(8 * v)));
                for (acc, row) in acc.iter_mut().zip(&rows) {
                    let av = _mm256_broadcast_ss(&*row.add(kk));
                    for (acc, &bv) in acc.iter_mut().zip(&bv) {
                        *acc = _mm256_fmadd_ps(av, bv, *acc);
                    }
                }
                b_ptr = b_ptr.add(NR);
            }
            if blk.last {
                finish(&mut acc, i0, e);
                if let Some(res) = e.residual {
                    for (r, acc) in acc.iter_mut().enumerate() {
                        // Same place in the residual as in `out`: in bounds as `out` is.
                        let p = res.as_ptr().add((i0 + r) * n + j0);
                        for (v, acc) in acc.iter_mut().enumerate() {
                            let x = if MASKED { _mm256_maskload_ps(p.add(8 * v), mask[v]) } else { _mm256_loadu_ps(p.add(8 * v)) };
                            *acc = _mm256_add_ps(*acc, x);
                        }
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                for (v, &acc) in acc.iter().enumerate() {
                    if MASKED {
                        _mm256_maskstore_ps(o(r, v), mask[v], acc);
                    } else {
                        _mm256_storeu_ps(o(r, v), acc);
                    }
                }
            }
        }
    }

    /// Bias and clamp on a tile whose first row is `row`, in place, as the
    /// AVX-512 kernel's `finish` does it.
    #[inline(always)]
    unsafe fn finish<const R: usize, const V: usize>(acc: &mut [[__m256; V]; R], row: usize, e: &Epilogue<'_>) {
        // SAFETY: register arithmetic only.
        unsafe {
            if let Some(bias) = e.bias {
                for (r, acc) in acc.iter_mut().enumerate() {
                    let bv = _mm256_set1_ps(bias.get(row + r).copied().unwrap_or(0.0));
                    for x in acc.iter_mut() {
                        *x = _mm256_add_ps(*x, bv);
                    }
                }
            }
            if let Some((lo, hi)) = e.clamp {
                let (lo, hi) = (_mm256_set1_ps(lo), _mm256_set1_ps(hi));
                for acc in acc.iter_mut() {
                    for x in acc.iter_mut() {
                        // max/min return their second operand for NaN: put x second to keep NaNs.
                        *x = _mm256_min_ps(hi, _mm256_max_ps(lo, *x));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::testutil::{each_path, Lcg};

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, e: Epilogue<'_>) -> Vec<f64> {
        let mut out = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                let s: f64 = (0..k).map(|kk| f64::from(a[i * k + kk]) * f64::from(b[kk * n + j])).sum();
                out[i * n + j] = f64::from(e.apply_at(i, i * n + j, s as f32));
            }
        }
        out
    }

    /// Every path against the f64 product, with no epilogue, with `partial`
    /// (the full one less a part) and with bias, `clamp` and residual.
    fn check_product(rng: &mut Lcg, (m, k, n): (usize, usize, usize), clamp: (f32, f32), partial: fn(Epilogue<'_>) -> Epilogue<'_>) {
        let a: Vec<f32> = (0..m * k).map(|_| rng.next_f32()).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.next_f32()).collect();
        let bias: Vec<f32> = (0..m).map(|_| rng.next_f32()).collect();
        let res: Vec<f32> = (0..m * n).map(|_| rng.next_f32()).collect();
        let full = Epilogue { bias: Some(&bias), clamp: Some(clamp), residual: Some(&res) };
        for e in [Epilogue::NONE, partial(full), full] {
            let want = naive(&a, &b, m, k, n, e);
            each_path(|path| {
                let mut out = vec![f32::NAN; m * n];
                gemm(&mut out, &a, &b, m, k, n, e);
                for (g, w) in out.iter().zip(&want) {
                    assert!((f64::from(*g) - w).abs() <= 1e-5 * (1.0 + w.abs()), "{path} {m}x{k}x{n}: {g} vs {w}");
                }
            });
        }
    }

    #[test]
    fn matches_a_naive_product_on_many_shapes() {
        let mut rng = Lcg(7);
        for &shape in &[(1, 1, 1), (6, 3, 16), (7, 5, 17), (13, 33, 49), (24, 144, 64), (2, 0, 5), (5, 9, 3), (7, 1100, 21), (13, 512, 33), (6, 513, 8), (9, 300, 200), (5, 257, 71), (3, 40, 49), (31, 70, 49), (25, 300, 67), (14, 300, 34), (19, 280, 35), (9, 600, 196), (13, 70, 1), (7, 576, 1), (3, 5, 1), (6, 16, 1030), (9, 24, 1100), (5, 100, 300)] {
            check_product(&mut rng, shape, (0.0, 0.5), |e| Epilogue { residual: None, ..e });
        }
    }

    /// Every column tail 1..=47 past whole 32- and 16-column panels (n up to 100),
    /// rows 1..=30 (tails of 12- and 24-row tiles), k from 1 to past two blocks.
    #[test]
    fn matches_a_naive_product_on_every_tail() {
        let mut rng = Lcg(23);
        let (ms, ks) = ([1, 2, 5, 11, 12, 13, 23, 24, 25, 30], [1, 3, 16, 31, 100, 256, 257, 520]);
        for n in 1..=100 {
            let shape = (ms[n % ms.len()], ks[n % ks.len()], n);
            check_product(&mut rng, shape, (-0.5, 0.5), |e| Epilogue { clamp: None, ..e });
        }
    }

    /// NaNs survive the clamp in tiles (full and masked) and in narrow tails, not only in `gemv`.
    #[test]
    fn clamp_keeps_nan_in_tiles() {
        for n in [2, 7, 17, 32, 40] {
            let (m, k) = (13, 3);
            let mut a = vec![1.0f32; m * k];
            a[5 * k] = f32::NAN;
            let b = vec![1.0f32; k * n];
            each_path(|path| {
                let mut out = vec![0.0f32; m * n];
                gemm(&mut out, &a, &b, m, k, n, Epilogue { bias: None, clamp: Some((0.0, 6.0)), residual: None });
                for (at, v) in out.iter().enumerate() {
                    assert_eq!(v.is_nan(), at / n == 5, "{path} n={n} at {at}: {v}");
                }
            });
        }
    }

    #[test]
    fn clamp_keeps_nan() {
        let mut out = [0.0f32; 1];
        gemm(&mut out, &[f32::NAN], &[1.0], 1, 1, 1, Epilogue { bias: None, clamp: Some((0.0, 6.0)), residual: None });
        assert!(out[0].is_nan());
    }
}
