//! Linear layers with blockwise 4-bit weights and int8 activations quantized
//! per row at run time: XNNPACK's `qd8-f32-qb4w` fully-connected, as
//! ExecuTorch's `8da4w` export delegates it.
//!
//! Each row of `x` is quantized like [`super::dynamic`] (asymmetric int8 `q`,
//! its own scale and zero point) and held as `u = q + 128` in `0..256`.
//! Weights come repacked by etch ([`pack`]) for a matrix-vector product:
//! output rows in blocks of 16, and per block, group and 8 codes of a row, 64
//! bytes whose 32-bit lane `r` holds row `r`'s codes: `c - 8` (codes are
//! `value + 8`, in `0..16`) as signed nibbles, the first 4 in the high nibbles
//! and the next 4 in the low ones. One `vpdpbusd` then multiplies 16 rows by 4
//! broadcast activations, with no horizontal sums.
//!
//! Per group of `group` codes (a multiple of 32) sharing one bf16 scale `s`,
//! `d = Σ u · (c - 8)` is exact in i32. Since `q - zp = u - (128 + zp)`, the
//! zero point's share is one term per row, `corr = -Σ_g s_g Σ (c - 8)`, computed
//! when packing. In f32: `acc = (128 + zp) · corr`, then in group order
//! `acc += d · s`, and the output is `acc · x_scale + bias` (multiplies and
//! adds kept apart). The SIMD paths ([`super::int4_x86`]) compute the same
//! integer sums and f32 operations, so all give the same bits.

/// Shapes: `x` is `[m, k]`, the weights `[n, k]` in groups of `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Q4 {
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub group: usize,
}

/// Output rows per block of the packed weights.
pub const ROWS: usize = 16;

/// Largest group: its sum, 16 times over as VNNI holds it, stays within i32
/// (`16 · 255 · 8 · 65536 < 2^31`).
pub const MAX_GROUP: usize = 65536;

impl Q4 {
    /// Blocks of [`ROWS`] output rows (the last one padded).
    pub fn blocks(&self) -> usize {
        self.n.div_ceil(ROWS)
    }

    /// Bytes of packed weights: `blocks · 16 · k / 2`.
    pub fn weight_bytes(&self) -> usize {
        self.blocks() * ROWS * self.k / 2
    }

    /// Scales (bf16, two bytes each), `[blocks, groups, 16]`.
    pub fn scale_bytes(&self) -> usize {
        self.blocks() * (self.k / self.group.max(1)) * ROWS * 2
    }

    fn fits(&self) -> bool {
        self.k > 0 && self.group > 0 && self.group <= MAX_GROUP && self.group.is_multiple_of(32) && self.k.is_multiple_of(self.group)
    }
}

/// Row `o`'s scale for group `g`, from the bf16 bytes at [`scale_at`].
#[inline(always)]
fn scale(scales: &[u8], i: usize) -> f32 {
    f32::from_bits(u32::from(u16::from_le_bytes([scales[2 * i], scales[2 * i + 1]])) << 16)
}

/// Index (in bf16s) of row `o`'s scale for group `g`: blocks of 16 rows, by group, by row.
pub fn scale_at(o: usize, g: usize, groups: usize) -> usize {
    ((o / ROWS) * groups + g) * ROWS + o % ROWS
}

/// Byte of the packed weights holding row `o`'s code `i` (high nibble when `i % 8 < 4`).
pub fn code_at(o: usize, i: usize, k: usize) -> usize {
    (o / ROWS) * ROWS * k / 2 + (i / 8) * 64 + (o % ROWS) * 4 + i % 4
}

/// Row `o`'s code `i`, minus 8 (`-8..8`).
#[inline(always)]
fn code(w: &[u8], o: usize, i: usize, k: usize) -> i32 {
    let b = w[code_at(o, i, k)];
    let nib = if i % 8 < 4 { b >> 4 } else { b & 0xf };
    i32::from((nib << 4) as i8 >> 4)
}

/// One row's codes `q + 128` and its zero point and scale, as `fake_quant_rows` rounds them.
pub(crate) fn quantize_row(src: &[f32], u: &mut [u8]) -> (i32, f32) {
    let (lo, hi) = src.iter().fold((0.0f32, 0.0f32), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    let scale = if hi > lo { (hi - lo) / 255.0 } else { 1.0 };
    let zp = super::dynamic::zero_point(lo / scale, hi / scale);
    let inv = 1.0 / scale;
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::avx512() {
        // SAFETY: AVX-512 F/BW/DQ/VL were detected.
        unsafe { super::int4_x86::quantize(src, u, inv, zp) };
        return (zp as i32, scale);
    }
    for (o, &v) in u.iter_mut().zip(src) {
        *o = ((libm::roundf(v * inv) + zp).clamp(-128.0, 127.0) as i32 + 128) as u8;
    }
    (zp as i32, scale)
}

/// `out [m, n] = x [m, k] · W^T + bias`. `w` holds [`Q4::weight_bytes`] packed
/// bytes, `scales` [`Q4::scale_bytes`] (bf16, see [`scale_at`]) and `corr` one
/// f32 per row of the padded blocks; `xu` holds `k` bytes. Wrong sizes return
/// without writing.
#[allow(clippy::too_many_arguments)]
pub fn linear_q4(x: &[f32], w: &[u8], scales: &[u8], corr: &[f32], bias: Option<&[f32]>, out: &mut [f32], xu: &mut [u8], s: Q4) {
    let Q4 { m, n, k, group } = s;
    if !s.fits() || xu.len() < k || w.len() < s.weight_bytes() || scales.len() < s.scale_bytes() || corr.len() < s.blocks() * ROWS {
        return;
    }
    if bias.is_some_and(|b| b.len() < n) || x.len() < m * k || out.len() < m * n {
        return;
    }
    let groups = k / group;
    for (src, dst) in x.chunks_exact(k).zip(out.chunks_exact_mut(n)).take(m) {
        let xu = &mut xu[..k];
        let (zp, xscale) = quantize_row(src, xu);
        let zpf = (128 + zp) as f32;
        #[cfg(target_arch = "x86_64")]
        {
            let rows = super::int4_x86::Rows { n, k, group, zp: zpf, xscale };
            if crate::cpu::avx512_vnni() {
                // SAFETY: AVX-512 VNNI was detected; the sizes were checked above.
                unsafe { super::int4_x86::vnni(xu, w, scales, corr, bias, dst, rows) };
                continue;
            }
            if crate::cpu::avx2() {
                // SAFETY: AVX2 was detected; the sizes were checked above.
                unsafe { super::int4_x86::avx2(xu, w, scales, corr, bias, dst, rows) };
                continue;
            }
        }
        for (o, y) in dst.iter_mut().enumerate() {
            let mut acc = zpf * corr[o];
            for g in 0..groups {
                let d: i32 = (g * group..(g + 1) * group).map(|i| i32::from(xu[i]) * code(w, o, i, k)).sum();
                acc += d as f32 * scale(scales, scale_at(o, g, groups));
            }
            *y = acc * xscale + bias.map_or(0.0, |b| b[o]);
        }
    }
}

/// Packs `[n, k]` codes (`code(o, i)` in `0..16`) and their f32 scales (`scale(o, g)`,
/// bf16 values) into the layout above: weights, bf16 scale bytes and each row's
/// `corr` (summed in f64, rounded once). Padded rows have code 8 and scale 0.
/// For the tests: etch-codegen packs at build time (`lower/xnnpack/blockwise.rs`),
/// and the llama fixtures check the two agree.
#[cfg(test)]
fn pack(s: Q4, code: impl Fn(usize, usize) -> u8, scale: impl Fn(usize, usize) -> f32) -> (std::vec::Vec<u8>, std::vec::Vec<u8>, std::vec::Vec<f32>) {
    let Q4 { n, k, group, .. } = s;
    let groups = k / group.max(1);
    let (mut w, mut sc) = (std::vec![0u8; s.weight_bytes()], std::vec![0u8; s.scale_bytes()]);
    let mut corr = std::vec![0.0f32; s.blocks() * ROWS];
    for o in 0..n {
        for i in 0..k {
            let nib = code(o, i).wrapping_sub(8) & 0xf;
            w[code_at(o, i, k)] |= if i % 8 < 4 { nib << 4 } else { nib };
        }
        let mut c = 0.0f64;
        for g in 0..groups {
            let v = scale(o, g);
            sc[2 * scale_at(o, g, groups)..][..2].copy_from_slice(&((v.to_bits() >> 16) as u16).to_le_bytes());
            let sum: i32 = (g * group..(g + 1) * group).map(|i| i32::from(code(o, i)) - 8).sum();
            c -= f64::from(v) * f64::from(sum);
        }
        corr[o] = c as f32;
    }
    (w, sc, corr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn rand(seed: &mut u64) -> u32 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        (*seed >> 32) as u32
    }

    fn run(x: &[f32], w: &(Vec<u8>, Vec<u8>, Vec<f32>), bias: &[f32], s: Q4) -> Vec<f32> {
        let (mut out, mut xu) = (std::vec![0.0f32; s.m * s.n], std::vec![0u8; s.k]);
        linear_q4(x, &w.0, &w.1, &w.2, Some(bias), &mut out, &mut xu, s);
        out
    }

    /// Every path against the portable one, and against the layer dequantized and
    /// computed in f64 on the quantized activations.
    #[test]
    fn matches_the_dequantized_product_and_the_portable_path() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let shapes = [
            (1usize, 5usize, 64usize, 32usize),
            (3, 7, 128, 64),
            (2, 4, 96, 32),
            (1, 19, 64, 32),
            (2, 16, 128, 128),
            (1, 48, 288, 32),
            (1, 33, 768, 32),
            (2, 40, 256, 256),
        ];
        #[cfg_attr(not(target_arch = "x86_64"), allow(unused_mut))]
        let (mut vnni, mut avx2) = (false, false);
        for (m, n, k, group) in shapes {
            let x: Vec<f32> = (0..m * k).map(|_| (rand(&mut seed) % 2001) as f32 / 500.0 - 2.0 + if m > 1 { 0.7 } else { 0.0 }).collect();
            let codes: Vec<u8> = (0..n * k).map(|_| rand(&mut seed) as u8 & 0xf).collect();
            let scales: Vec<f32> =
                (0..n * (k / group)).map(|_| f32::from_bits(((1 + rand(&mut seed) % 100) as f32 / 1000.0).to_bits() & 0xffff_0000)).collect();
            let bias: Vec<f32> = (0..n).map(|i| i as f32 * 0.1).collect();
            let s = Q4 { m, n, k, group };
            let packed = pack(s, |o, i| codes[o * k + i], |o, g| scales[o * (k / group) + g]);
            let out = run(&x, &packed, &bias, s);
            let portable = crate::cpu::portable(|| run(&x, &packed, &bias, s));
            assert_eq!(out, portable, "{s:?}");
            let narrow = crate::cpu::no_avx512(|| run(&x, &packed, &bias, s));
            assert_eq!(narrow, portable, "{s:?}, AVX2");
            #[cfg(target_arch = "x86_64")]
            {
                vnni |= crate::cpu::avx512_vnni();
                avx2 |= crate::cpu::avx2();
            }
            let mut fq = std::vec![0.0f32; m * k];
            super::super::dynamic::fake_quant_rows(&x, &mut fq, k);
            for r in 0..m {
                for o in 0..n {
                    let mut want = f64::from(bias[o]);
                    for i in 0..k {
                        want += f64::from(fq[r * k + i]) * (f64::from(codes[o * k + i]) - 8.0) * f64::from(scales[o * (k / group) + i / group]);
                    }
                    let got = f64::from(out[r * n + o]);
                    assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{s:?} [{r}, {o}]: {got} vs {want}");
                }
            }
        }
        if !vnni {
            std::println!("int4: no AVX-512 VNNI on this CPU, that path was not run");
        }
        if !avx2 {
            std::println!("int4: no AVX2 on this CPU, that path was not run");
        }
    }

    /// The quantized codes of every path agree, on values that round half away from zero.
    #[test]
    fn quantizing_a_row_agrees_with_the_portable_rounding() {
        let mut seed = 7u64;
        for k in [1usize, 15, 16, 17, 64, 288, 300] {
            let mut x: Vec<f32> = (0..k).map(|_| (rand(&mut seed) % 4001) as f32 / 1000.0 - 1.5).collect();
            if k > 3 {
                x[1] = f32::NAN;
                x[2] = 0.0;
            }
            let (mut a, mut b) = (std::vec![0u8; k], std::vec![0u8; k]);
            let pa = quantize_row(&x, &mut a);
            let pb = crate::cpu::portable(|| quantize_row(&x, &mut b));
            assert_eq!((pa, &a), (pb, &b), "k {k}");
        }
        // Exact halves: 255 steps over [-1, 1.55]: the codes of -0.5 steps round away from 0.
        let step = 2.55f32 / 255.0;
        let x: Vec<f32> = (0..40).map(|i| -1.0 + (i as f32 + 0.5) * step).chain([1.55]).collect();
        let (mut a, mut b) = (std::vec![0u8; x.len()], std::vec![0u8; x.len()]);
        assert_eq!(quantize_row(&x, &mut a), crate::cpu::portable(|| quantize_row(&x, &mut b)));
        assert_eq!(a, b);
    }
}
