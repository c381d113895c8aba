//! AVX-512 f32 GEMM (`cpu::avx512`), chosen by `gemm::gemm_one` before the AVX2
//! kernel. The same blocking as the AVX2 one (packed KC-row blocks of `b`, tiles
//! that sum in registers, the fused epilogue), with 16-lane registers: panels of
//! 32 columns, 12-row tiles (24 ZMM sums), column tails under `__mmask16`. Each
//! output of a tile is summed in the same order as the AVX2 tiles sum it.

use core::arch::x86_64::*;
use core::mem::MaybeUninit;

use super::gemm::{Block, Epilogue, Rhs};

/// Columns per panel: two 16-lane registers.
const NR: usize = 32;
/// Rows of a tile: 12 × 2 accumulators, two registers of `b`, one broadcast.
const MR: usize = 12;
/// Rows of a tile on a last panel of at most 16 columns (one register per row).
const MR1: usize = 24;
/// Most rows of `b` per packed block.
const KC: usize = 256;
/// Columns of a block of KC rows (2 panels): KC × NC floats are 64 KiB of stack;
/// blocks of fewer rows are wider.
const NC: usize = 64;
/// Tails this narrow go column by column as dot products along `k`.
const DOT_MAX: usize = 2;

/// Columns `c0..c1` of `out[m, n] = epilogue(a[m, k] @ b[k, n])`.
///
/// # Safety
/// The CPU supports AVX-512 F/BW/DQ/VL, AVX2 and FMA (`cpu::avx512`); `out`,
/// `a`, `b` (and the residual, if any) hold at least `m*n`, `m*k`, `k*n` (`m*n`)
/// elements; c0 < c1 <= n; no other thread reads or writes columns c0..c1 of
/// `out` meanwhile.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm(out: *mut f32, a: &[f32], b: Rhs<'_>, m: usize, k: usize, n: usize, (c0, c1): (usize, usize), e: Epilogue<'_>) {
    if let (1, Rhs::Dense(b)) = (n, b) {
        // SAFETY: as the caller guarantees, with n = 1: the one column is this call's.
        unsafe { gemv(core::slice::from_raw_parts_mut(out, m), a, b, m, k, &e) };
        return;
    }
    let mut pack = MaybeUninit::<Pack>::uninit();
    let pack = pack.as_mut_ptr().cast::<f32>();
    // SAFETY: `pack_block` calls this only as `pack_panel` may be called.
    let panel = |d, b: &[f32], n, k0, kc, j0, cols| unsafe { pack_panel(d, b, n, k0, kc, j0, cols) };
    // A short `k` packs blocks as wide as the 64 KiB allow (KB rows, PACK / KB
    // columns): each row of `out` is then written in longer runs. Patches lay
    // out at most 64 columns at a time, so they keep the KC × NC blocks.
    let kb = match b {
        // Blocks of even depth: k = 320 is two of 160, not 256 and 64.
        Rhs::Dense(_) => k.div_ceil(k.div_ceil(KC)).next_multiple_of(16).clamp(16, KC),
        Rhs::Patches(_) => KC,
    };
    let (apart, nb) = (kb * NR, PACK / kb / NR * NR);
    // Tails are where a block ends (at c1 for the last), so a part of the
    // columns writes none past its own.
    for jc in (c0..c1).step_by(nb) {
        let nc = (c1 - jc).min(nb);
        for k0 in (0..k).step_by(kb) {
            let kc = (k - k0).min(kb);
            // SAFETY: rows k0..k0+kc and columns jc..jc+nc are inside `b`; panels lie
            // kb * NR apart, kc <= kb and nc * kb <= PACK; the closure is this
            // kernel's `pack_panel`, as `pack_block` needs.
            unsafe { super::gemm::pack_block::<NR>(pack, apart, b, n, (k0, kc), (jc, nc), panel) };
            let blk = Block { k0, kc, jc, nc, first: k0 == 0, last: k0 + kc == k };
            // A last panel of at most 16 columns has one register per tile row:
            // it goes in tiles of 24 rows afterwards, so 24 sums are in flight.
            // One of 16 + DOT_MAX columns of a dense `b` does too, and its last
            // columns go as dot products (7 × 7 maps, 49 columns, would run 64
            // lanes wide). Not for patches: their `a` (weights of 3 × 3 layers,
            // 9 MiB in resnet18's last ones) would be read again for the dots.
            let last = (nc - 1) / NR;
            let tail_max = if matches!(b, Rhs::Dense(_)) { 16 + DOT_MAX } else { 16 };
            let tail = (nc - last * NR <= tail_max).then_some((last, jc + last * NR));
            let full = tail.map_or(usize::MAX, |(p, _)| p);
            let mut i0 = 0;
            while i0 < m {
                let r = (m - i0).min(MR);
                // SAFETY: rows i0..i0+r of `a` and `out` are in bounds (caller's sizes);
                // the panels read were all written just above.
                unsafe {
                    match r {
                        12 => panels::<12>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        11 => panels::<11>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        10 => panels::<10>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        9 => panels::<9>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        8 => panels::<8>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        7 => panels::<7>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        6 => panels::<6>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        5 => panels::<5>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        4 => panels::<4>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        3 => panels::<3>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        2 => panels::<2>(out, a, pack, apart, k, n, i0, blk, full, &e),
                        _ => panels::<1>(out, a, pack, apart, k, n, i0, blk, full, &e),
                    }
                }
                i0 += r;
            }
            if let Some((p, j0)) = tail.filter(|&(_, j0)| jc + nc - j0 <= DOT_MAX) {
                // SAFETY: as below.
                unsafe { dot_tail(out, a, pack.add(p * apart), k, n, m, j0, jc + nc, blk, &e) };
            } else if let Some((p, j0)) = tail {
                let cols = jc + nc - j0;
                // SAFETY: as above; panel p was packed for this block and columns
                // j0..j0 + min(cols, 16) are the ones `msk` leaves on; past 16,
                // the rest (at most DOT_MAX) are the panel's columns 16..cols.
                unsafe {
                    if cols > 16 {
                        dot_tail(out, a, pack.add(p * apart + 16), k, n, m, j0 + 16, jc + nc, blk, &e);
                    }
                    let (panel, msk) = (pack.add(p * apart), mask(cols.min(16)));
                    let mut i0 = 0;
                    while i0 < m {
                        let r = if m - i0 >= MR1 { MR1 } else { (m - i0).min(MR) };
                        match r {
                            MR1 => tile::<MR1, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                            12 => tile::<12, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                            11 => tile::<11, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                            10 => tile::<10, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                            9 => tile::<9, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                            8 => tile::<8, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
                            7 => tile::<7, 1, true>(out, a, panel, k, n, i0, j0, blk, &e, msk),
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

/// Columns `j0..n` (at most `DOT_MAX`) of the block, each as `m` dot products
/// along `k`: the column is copied out of its packed panel, then every row of
/// `a` meets it 32 lanes at a time. Adds to what earlier blocks left in `out`.
///
/// # Safety
/// The CPU supports AVX-512 F; rows 0..m of `a` (k floats) and `out` (n floats)
/// are in bounds, `blk.kc` packed rows of 32 are at `panel`, and j0 < n <= j0 + DOT_MAX.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn dot_tail(out: *mut f32, a: &[f32], panel: *const f32, k: usize, n: usize, m: usize, j0: usize, end: usize, blk: Block, e: &Epilogue<'_>) {
    let kc = blk.kc.min(KC);
    let full = kc / 32 * 32;
    let mut col = [0.0f32; KC];
    for c in 0..end - j0 {
        for (kk, v) in col.iter_mut().enumerate().take(kc) {
            // SAFETY: row kk < kc of the panel, column c < 32.
            *v = unsafe { *panel.add(kk * NR + c) };
        }
        for i in 0..m {
            // SAFETY: row i < m of `a` holds k0 + kc <= k floats; `col` holds kc;
            // output (i, j0 + c) is inside `out` (the caller's sizes).
            unsafe {
                let row = a.as_ptr().add(i * k + blk.k0);
                let (mut s0, mut s1) = (_mm512_setzero_ps(), _mm512_setzero_ps());
                for kk in (0..full).step_by(32) {
                    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(row.add(kk)), _mm512_loadu_ps(col.as_ptr().add(kk)), s0);
                    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(row.add(kk + 16)), _mm512_loadu_ps(col.as_ptr().add(kk + 16)), s1);
                }
                let mut s = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
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

/// `out[i] = epilogue(a[i, :] · b)`: a matrix times one column. Lanes run along
/// `k`, 64 at a time in four registers, then 16 at a time, then a masked rest.
///
/// # Safety
/// The CPU supports AVX-512 F; `out`, `a`, `b` (and the residual, if any) hold
/// at least `m`, `m*k`, `k` (`m`) elements.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
#[inline(never)]
unsafe fn gemv(out: &mut [f32], a: &[f32], b: &[f32], m: usize, k: usize, e: &Epilogue<'_>) {
    // SAFETY: every load is of row i < m of `a` (k floats) or of `b` (k floats),
    // at offsets below k (the last one masked to lanes below k); the caller
    // guarantees the lengths.
    unsafe {
        let (full, by16) = (k / 64 * 64, k / 16 * 16);
        let rest: __mmask16 = (1u32 << (k - by16)).wrapping_sub(1) as __mmask16;
        for (i, o) in out.iter_mut().enumerate().take(m) {
            let row = a.as_ptr().add(i * k);
            let mut acc = [_mm512_setzero_ps(); 4];
            for kk in (0..full).step_by(64) {
                for (v, acc) in acc.iter_mut().enumerate() {
                    let at = kk + 16 * v;
                    *acc = _mm512_fmadd_ps(_mm512_loadu_ps(row.add(at)), _mm512_loadu_ps(b.as_ptr().add(at)), *acc);
                }
            }
            for kk in (full..by16).step_by(16) {
                acc[0] = _mm512_fmadd_ps(_mm512_loadu_ps(row.add(kk)), _mm512_loadu_ps(b.as_ptr().add(kk)), acc[0]);
            }
            if rest != 0 {
                let (x, y) = (_mm512_maskz_loadu_ps(rest, row.add(by16)), _mm512_maskz_loadu_ps(rest, b.as_ptr().add(by16)));
                acc[1] = _mm512_fmadd_ps(x, y, acc[1]);
            }
            let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
            *o = e.apply_at(i, i, _mm512_reduce_add_ps(sum));
        }
    }
}

const PACK: usize = super::gemm::PACK;
const _: () = assert!(KC * NC == PACK);

/// Cache-line aligned: each panel row is two whole lines.
#[repr(C, align(64))]
struct Pack([f32; KC * NC]);


/// Lanes `0..cols` on, for the two registers of a panel row.
#[inline(always)]
fn mask(cols: usize) -> [__mmask16; 2] {
    let lanes = |c: usize| if c >= 16 { 0xffff } else { ((1u32 << c) - 1) as __mmask16 };
    [lanes(cols), lanes(cols.saturating_sub(16))]
}

/// Copies `b[k0..k0+kc][j0..j0+32]` to `dst` as kc rows of 32, zeros past `cols`.
///
/// # Safety
/// The CPU supports AVX-512 F; the rows and the first min(cols, 32) columns are
/// in `b`, and there is room for kc × 32 floats at `dst`.
#[inline(always)]
unsafe fn pack_panel(dst: *mut f32, b: &[f32], n: usize, k0: usize, kc: usize, j0: usize, cols: usize) {
    // SAFETY: as the caller guarantees; masked loads touch only lanes on.
    unsafe {
        let mut src = b.as_ptr().add(k0 * n + j0);
        let m = mask(cols);
        for kk in 0..kc {
            let (v0, v1) = if cols >= NR {
                (_mm512_loadu_ps(src), _mm512_loadu_ps(src.add(16)))
            } else {
                (_mm512_maskz_loadu_ps(m[0], src), _mm512_maskz_loadu_ps(m[1], src.add(16)))
            };
            _mm512_store_ps(dst.add(kk * NR), v0);
            _mm512_store_ps(dst.add(kk * NR + 16), v1);
            src = src.add(n);
        }
    }
}

/// One R-row slice of `a` over the block's panels before panel `end`.
///
/// # Safety
/// As `tile`, for every panel of the block before `end`, panels `apart` floats apart.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn panels<const R: usize>(out: *mut f32, a: &[f32], pack: *const f32, apart: usize, k: usize, n: usize, i0: usize, blk: Block, end: usize, e: &Epilogue<'_>) {
    for (p, j0) in (blk.jc..blk.jc + blk.nc).step_by(NR).enumerate().take(end) {
        let cols = (blk.jc + blk.nc - j0).min(NR);
        // SAFETY: as the caller guarantees; panel p was packed for this block.
        unsafe {
            let panel = pack.add(p * apart);
            // Panels of at most 16 columns are the caller's (`end`).
            if cols == NR {
                tile::<R, 2, false>(out, a, panel, k, n, i0, j0, blk, e, mask(cols));
            } else {
                tile::<R, 2, true>(out, a, panel, k, n, i0, j0, blk, e, mask(cols));
            }
        }
    }
}

/// An R × 16V tile of `out`, summed over the block's rows of `k` in registers,
/// on top of what earlier blocks left in `out`. With `MASKED`, lanes off in
/// `mask` are neither loaded from nor stored to `out` (nor read from the residual).
///
/// # Safety
/// The CPU supports AVX-512 F; rows i0..i0+R are inside `a` and `out` (and the
/// residual, as long as `out`), the columns from j0 that `mask` leaves on are
/// inside `out`, and kc packed rows of 32 are at `panel` (64-byte aligned).
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
    mask: [__mmask16; 2],
) {
    // SAFETY: as the caller guarantees; masked accesses touch only lanes on.
    unsafe {
        let base = out;
        let o = |r: usize, v: usize| base.add((i0 + r) * n + j0 + 16 * v);
        let mut acc = [[_mm512_setzero_ps(); V]; R];
        if !blk.first {
            for (r, acc) in acc.iter_mut().enumerate() {
                for (v, acc) in acc.iter_mut().enumerate() {
                    *acc = if MASKED { _mm512_maskz_loadu_ps(mask[v], o(r, v)) } else { _mm512_loadu_ps(o(r, v)) };
                }
            }
        }
        // One pointer per row, as in the AVX2 tile (no multiple of `k` to reload).
        let rows: [*const f32; R] = core::array::from_fn(|r| a.as_ptr().add((i0 + r) * k + blk.k0));
        let mut b_ptr = panel;
        for kk in 0..blk.kc {
            let bv: [__m512; V] = core::array::from_fn(|v| _mm512_load_ps(b_ptr.add(16 * v)));
            for (acc, row) in acc.iter_mut().zip(&rows) {
                let av = _mm512_set1_ps(*row.add(kk));
                for (acc, &bv) in acc.iter_mut().zip(&bv) {
                    *acc = _mm512_fmadd_ps(av, bv, *acc);
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
                        let x = if MASKED { _mm512_maskz_loadu_ps(mask[v], p.add(16 * v)) } else { _mm512_loadu_ps(p.add(16 * v)) };
                        *acc = _mm512_add_ps(*acc, x);
                    }
                }
            }
        }
        for (r, acc) in acc.iter().enumerate() {
            for (v, &acc) in acc.iter().enumerate() {
                if MASKED {
                    _mm512_mask_storeu_ps(o(r, v), mask[v], acc);
                } else {
                    _mm512_storeu_ps(o(r, v), acc);
                }
            }
        }
    }
}

/// Bias and clamp on a tile whose first row is `row`, in place. One pass per
/// step over every row, so the sums stay in registers (a pass per row, with
/// its branches, was a loop LLVM ran over the tile spilled to the stack).
///
/// # Safety
/// The CPU supports AVX-512 F.
#[inline(always)]
unsafe fn finish<const R: usize, const V: usize>(acc: &mut [[__m512; V]; R], row: usize, e: &Epilogue<'_>) {
    // SAFETY: register arithmetic only.
    unsafe {
        // Plain loops: a closure here would not inherit the target features,
        // and its intrinsics would be calls.
        if let Some(bias) = e.bias {
            for (r, acc) in acc.iter_mut().enumerate() {
                let bv = _mm512_set1_ps(bias.get(row + r).copied().unwrap_or(0.0));
                for x in acc.iter_mut() {
                    *x = _mm512_add_ps(*x, bv);
                }
            }
        }
        if let Some((lo, hi)) = e.clamp {
            let (lo, hi) = (_mm512_set1_ps(lo), _mm512_set1_ps(hi));
            for acc in acc.iter_mut() {
                for x in acc.iter_mut() {
                    // max/min return their second operand for NaN: put x second to keep NaNs.
                    *x = _mm512_min_ps(hi, _mm512_max_ps(lo, *x));
                }
            }
        }
    }
}
