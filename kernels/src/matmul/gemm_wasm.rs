//! `gemm` in wasm SIMD128 (compiled in with `-C target-feature=+simd128`).
//!
//! Blocks of `b` (KB rows × PACK / KB columns) are packed as 8-column panels, so a
//! tile reads its row of `b` as two contiguous vectors; each 4-row slice of `a`
//! then passes over every panel of the block while it sits in cache. A tile of
//! 4 × 8 sums (8 vectors) stays in registers along `k`: with the two loads of
//! `b` and the broadcast of `a`, 11 of the 16 vector registers engines map
//! wasm onto on x86_64 and arm64. Each step is `madd`: fused where the build
//! has relaxed SIMD, else a multiply and an add, rounded as the portable code.

use core::arch::wasm32::*;
use core::mem::MaybeUninit;

use super::gemm::{Block, Epilogue, Rhs};

/// Columns per panel: two vectors.
const NR: usize = 8;
/// Rows of a tile.
const MR: usize = 4;
/// Most rows of `b` per packed block.
const KC: usize = 256;
/// Floats of a packed block: 64 KiB of stack.
const PACK: usize = super::gemm::PACK;

#[repr(C, align(16))]
struct Pack([f32; PACK]);

/// `out[m, n] = epilogue(a[m, k] @ b[k, n])`.
///
/// # Safety
/// `out`, `a`, `b` (and the residual, if any) hold at least `m*n`, `m*k`,
/// `k*n` (`m*n`) elements.
pub(crate) unsafe fn gemm(out: &mut [f32], a: &[f32], b: Rhs<'_>, m: usize, k: usize, n: usize, e: Epilogue<'_>) {
    if let (true, Rhs::Dense(b)) = (m < MR, b) {
        // A few rows (a classifier's one): each row of `b` is read once either
        // way, so it is read where it lies instead of copied first.
        // SAFETY: as the caller guarantees.
        unsafe { direct(out, a, b, m, k, n, &e) };
        return;
    }
    // A short `k` packs wider blocks (PACK floats each): each row of `out` is
    // then written in longer runs (k = 16 ran 3.5× faster than with 64 columns).
    // One function each: V8 compiles the tile loops worse inside one large function.
    // SAFETY: as the caller guarantees.
    unsafe {
        match (k, b) {
            // Patches lay out at most 64 columns at a time: they keep 256-row blocks.
            (_, Rhs::Patches(_)) => blocks::<KC>(out, a, b, m, k, n, &e),
            (0..=16, _) => blocks::<16>(out, a, b, m, k, n, &e),
            (17..=32, _) => blocks::<32>(out, a, b, m, k, n, &e),
            (33..=64, _) => blocks::<64>(out, a, b, m, k, n, &e),
            (65..=128, _) => blocks::<128>(out, a, b, m, k, n, &e),
            _ => blocks::<KC>(out, a, b, m, k, n, &e),
        }
    }
}

/// `gemm` by blocks of KB rows of `b` and PACK / KB columns.
///
/// # Safety
/// As `gemm`'s.
#[inline(never)]
unsafe fn blocks<const KB: usize>(out: &mut [f32], a: &[f32], b: Rhs<'_>, m: usize, k: usize, n: usize, e: &Epilogue<'_>) {
    let nb = PACK / KB;
    let mut pack = MaybeUninit::<Pack>::uninit();
    let pack = pack.as_mut_ptr().cast::<f32>();
    // SAFETY: `pack_block` calls this only as `pack_panel` may be called.
    let panel = |d, b: &[f32], n, k0, kc, j0, cols: usize| unsafe { pack_panel(d, b, n, k0, kc, j0, cols.min(NR)) };
    for jc in (0..n).step_by(nb) {
        let nc = (n - jc).min(nb);
        for k0 in (0..k).step_by(KB) {
            let kc = (k - k0).min(KB);
            // SAFETY: rows k0..k0+kc and columns jc..jc+nc are inside `b`; panels lie
            // KB * NR apart, kc <= KB and nc * KB <= PACK; the closure is this
            // kernel's `pack_panel`, as `pack_block` needs.
            unsafe { super::gemm::pack_block::<NR>(pack, KB * NR, b, n, (k0, kc), (jc, nc), panel) };
            let blk = Block { k0, kc, jc, nc, first: k0 == 0, last: k0 + kc == k };
            let mut i0 = 0;
            while i0 < m {
                let r = (m - i0).min(MR);
                // SAFETY: rows i0..i0+r of `a` and `out` are in bounds (the caller's
                // sizes); the panels read were all written just above.
                unsafe {
                    match r {
                        4 => panels::<4>(out, a, pack, KB * NR, k, n, i0, blk, e),
                        3 => panels::<3>(out, a, pack, KB * NR, k, n, i0, blk, e),
                        2 => panels::<2>(out, a, pack, KB * NR, k, n, i0, blk, e),
                        _ => panels::<1>(out, a, pack, KB * NR, k, n, i0, blk, e),
                    }
                }
                i0 += r;
            }
        }
    }
}

/// Copies `b[k0..k0+kc][j0..j0+cols]` to `dst` as kc rows of 8, zeros past `cols`.
///
/// # Safety
/// The rows and columns are in `b`; `dst` has room for kc × 8 floats.
#[inline(always)]
unsafe fn pack_panel(dst: *mut f32, b: &[f32], n: usize, k0: usize, kc: usize, j0: usize, cols: usize) {
    // SAFETY: as the caller guarantees.
    unsafe {
        let mut src = b.as_ptr().add(k0 * n + j0);
        for kk in 0..kc {
            let d = dst.add(kk * NR);
            if cols == NR {
                v128_store(d.cast(), v128_load(src.cast()));
                v128_store(d.add(4).cast(), v128_load(src.add(4).cast()));
            } else {
                for c in 0..NR {
                    *d.add(c) = if c < cols { *src.add(c) } else { 0.0 };
                }
            }
            src = src.add(n);
        }
    }
}

/// One R-row slice of `a` over every panel of the block.
///
/// # Safety
/// As `gemm`'s, for rows i0..i0+R; the block's panels are packed at `pack`, `apart` floats apart.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn panels<const R: usize>(out: &mut [f32], a: &[f32], pack: *const f32, apart: usize, k: usize, n: usize, i0: usize, blk: Block, e: &Epilogue<'_>) {
    for (p, j0) in (blk.jc..blk.jc + blk.nc).step_by(NR).enumerate() {
        // SAFETY: as the caller guarantees; panel p was packed for this block.
        unsafe { tile::<R>(out, a, pack.add(p * apart), NR, k, n, i0, j0, (n - j0).min(NR), blk, e) };
    }
}

/// Rows 0..m (< MR) of the product, reading `b` in place: 8-column tiles over
/// all of `k`, then the last n % 8 columns as dot products.
///
/// # Safety
/// As `gemm`'s.
#[allow(clippy::too_many_arguments)]
unsafe fn direct(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, n: usize, e: &Epilogue<'_>) {
    let blk = Block { k0: 0, kc: k, jc: 0, nc: n, first: true, last: true };
    for j0 in (0..n).step_by(NR) {
        let cols = (n - j0).min(NR);
        // SAFETY: rows 0..m of `a` and `out` are in bounds; full tiles read
        // columns j0..j0+8 of every row of `b`; the last n % 8 columns go one
        // output at a time.
        unsafe {
            if cols == NR {
                let panel = b.as_ptr().add(j0);
                match m {
                    3 => tile::<3>(out, a, panel, n, k, n, 0, j0, NR, blk, e),
                    2 => tile::<2>(out, a, panel, n, k, n, 0, j0, NR, blk, e),
                    _ => tile::<1>(out, a, panel, n, k, n, 0, j0, NR, blk, e),
                }
            } else {
                for i in 0..m {
                    for j in j0..n {
                        let mut s = 0.0f32;
                        for kk in 0..k {
                            s += *a.as_ptr().add(i * k + kk) * *b.as_ptr().add(kk * n + j);
                        }
                        let at = i * n + j;
                        *out.as_mut_ptr().add(at) = e.apply_at(i, at, s);
                    }
                }
            }
        }
    }
}

/// An R × 8 tile of `out` at (i0, j0), of which `cols` columns are real,
/// summed over the block's rows of `k` on top of what earlier blocks left.
/// Row `kk` of the block's `b` is at `panel + kk * stride` (8 when packed).
///
/// # Safety
/// Rows i0..i0+R and columns j0..j0+cols are inside `out` (and the residual),
/// rows i0..i0+R of `a` hold k floats, and `blk.kc` rows of 8 floats lie
/// `stride` apart from `panel`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn tile<const R: usize>(out: &mut [f32], a: &[f32], panel: *const f32, stride: usize, k: usize, n: usize, i0: usize, j0: usize, cols: usize, blk: Block, e: &Epilogue<'_>) {
    // SAFETY: every pointer below stays in the ranges the caller guarantees:
    // full-width loads and stores only when `cols` is 8, else lane by lane.
    unsafe {
        let o = out.as_mut_ptr();
        let at = |r: usize| (i0 + r) * n + j0;
        let mut acc = [[f32x4_splat(0.0); 2]; R];
        if !blk.first {
            for (r, acc) in acc.iter_mut().enumerate() {
                *acc = load(o.add(at(r)), cols);
            }
        }
        let a_ptr = a.as_ptr().add(i0 * k + blk.k0);
        let mut b_ptr = panel;
        for kk in 0..blk.kc {
            let b0 = v128_load(b_ptr.cast());
            let b1 = v128_load(b_ptr.add(4).cast());
            for (r, acc) in acc.iter_mut().enumerate() {
                let av = v128_load32_splat(a_ptr.add(r * k + kk).cast());
                acc[0] = madd(av, b0, acc[0]);
                acc[1] = madd(av, b1, acc[1]);
            }
            b_ptr = b_ptr.add(stride);
        }
        for (r, acc) in acc.iter_mut().enumerate() {
            if blk.last {
                epilogue(acc, i0 + r, e);
                if let Some(res) = e.residual {
                    // Same place in the residual as in `out`: in bounds as `out` is.
                    let x = load(res.as_ptr().add(at(r)), cols);
                    acc[0] = f32x4_add(acc[0], x[0]);
                    acc[1] = f32x4_add(acc[1], x[1]);
                }
            }
            store(o.add(at(r)), cols, *acc);
        }
    }
}

/// Bias and clamp on one row of a tile.
#[inline(always)]
fn epilogue(v: &mut [v128; 2], row: usize, e: &Epilogue<'_>) {
    if let Some(bias) = e.bias {
        let b = f32x4_splat(bias.get(row).copied().unwrap_or(0.0));
        v.iter_mut().for_each(|x| *x = f32x4_add(*x, b));
    }
    if let Some((lo, hi)) = e.clamp {
        v.iter_mut().for_each(|x| *x = clamp(*x, lo, hi));
    }
}

/// `a * b + c` on four lanes. With `+relaxed-simd` it is the engine's fused
/// multiply-add where the CPU has one (one rounding, twice the throughput on
/// x86_64 with FMA and on arm64), else a multiply and an add; SIMD128 alone
/// has no fused form. Either way it is within the f32 tolerance of the portable sum.
#[inline(always)]
pub(crate) fn madd(a: v128, b: v128, c: v128) -> v128 {
    #[cfg(target_feature = "relaxed-simd")]
    return f32x4_relaxed_madd(a, b, c);
    #[cfg(not(target_feature = "relaxed-simd"))]
    return f32x4_add(c, f32x4_mul(a, b));
}

/// `Epilogue::apply`'s clamp on four lanes: `pmax(v, lo)` is `v < lo ? lo : v`
/// and `pmin(v, hi)` is `hi < v ? hi : v`, so a NaN passes through as there.
#[inline(always)]
pub(crate) fn clamp(v: v128, lo: f32, hi: f32) -> v128 {
    f32x4_pmin(f32x4_pmax(v, f32x4_splat(lo)), f32x4_splat(hi))
}

/// Eight floats from `p`, of which the first `cols` are read (the rest are 0).
///
/// # Safety
/// `p..p + cols` is readable.
#[inline(always)]
unsafe fn load(p: *const f32, cols: usize) -> [v128; 2] {
    // SAFETY: as the caller guarantees.
    unsafe {
        if cols == NR {
            return [v128_load(p.cast()), v128_load(p.add(4).cast())];
        }
        let mut lanes = [0.0f32; NR];
        for (c, l) in lanes.iter_mut().enumerate().take(cols) {
            *l = *p.add(c);
        }
        [v128_load(lanes.as_ptr().cast()), v128_load(lanes.as_ptr().add(4).cast())]
    }
}

/// Stores the first `cols` of the eight lanes of `v` at `p`.
///
/// # Safety
/// `p..p + cols` is writable.
#[inline(always)]
unsafe fn store(p: *mut f32, cols: usize, v: [v128; 2]) {
    // SAFETY: as the caller guarantees.
    unsafe {
        if cols == NR {
            v128_store(p.cast(), v[0]);
            v128_store(p.add(4).cast(), v[1]);
            return;
        }
        let mut lanes = [0.0f32; NR];
        v128_store(lanes.as_mut_ptr().cast(), v[0]);
        v128_store(lanes.as_mut_ptr().add(4).cast(), v[1]);
        for (c, &l) in lanes.iter().enumerate().take(cols) {
            *p.add(c) = l;
        }
    }
}
