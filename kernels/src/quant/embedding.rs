//! Quantized embedding tables (`quantized_decomposed::embedding_byte` and
//! `embedding_4bit`): rows of integer codes, a scale (and optionally a zero
//! point) per row or per group of a row, dequantized as they are gathered:
//! `(code - zero_point) * scale` in f32, as ExecuTorch's kernel.
//!
//! Generated code checks the indices first (`index::rows::check`); here a bad
//! index gives a zero row, so nothing is read out of bounds.

use crate::index::rows::Index;

/// A table's shape: `rows` embeddings of `dim` values, `groups` scales per row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub rows: usize,
    pub dim: usize,
    pub groups: usize,
}

/// The code at `j` of a 4-bit row: the high nibble first, as ExecuTorch packs them.
#[inline(always)]
fn nibble(row: &[u8], j: usize) -> f32 {
    let b = row.get(j / 2).copied().unwrap_or(8 << 4 | 8);
    let code = if j.is_multiple_of(2) { b >> 4 } else { b & 0xf };
    f32::from(code) - 8.0
}

fn gather<I: Index>(
    scales: &[f32],
    zero_points: Option<&[f32]>,
    index: &[I],
    out: &mut [f32],
    t: Table,
    code: impl Fn(usize, usize) -> f32,
) {
    if t.dim == 0 || t.groups == 0 {
        return;
    }
    let group = t.dim / t.groups;
    for (&i, o) in index.iter().zip(out.chunks_exact_mut(t.dim)) {
        let r = usize::try_from(i.to_i64()).ok().filter(|&r| r < t.rows);
        let Some(r) = r else {
            o.fill(0.0);
            continue;
        };
        for (j, x) in o.iter_mut().enumerate() {
            let g = r * t.groups + (j / group.max(1)).min(t.groups - 1);
            let scale = scales.get(g).copied().unwrap_or(0.0);
            let zp = zero_points.and_then(|z| z.get(g)).copied().unwrap_or(0.0);
            *x = (code(r, j) - zp) * scale;
        }
    }
}

/// `weight` is `[rows, dim / 2]` bytes, two codes each (`code - 8` in `[-8, 7]`).
pub fn embedding_4bit<I: Index>(weight: &[u8], scales: &[f32], zero_points: Option<&[f32]>, index: &[I], out: &mut [f32], t: Table) {
    let row = t.dim.div_ceil(2);
    gather(scales, zero_points, index, out, t, |r, j| nibble(weight.get(r * row..).unwrap_or(&[]), j));
}

/// `weight` is `[rows, dim]` of int8 or uint8 codes.
pub fn embedding_byte<T: Copy + Into<f32>, I: Index>(weight: &[T], scales: &[f32], zero_points: Option<&[f32]>, index: &[I], out: &mut [f32], t: Table) {
    gather(scales, zero_points, index, out, t, |r, j| weight.get(r * t.dim + j).map_or(0.0, |&c| c.into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_bit_rows_put_the_high_nibble_first_and_scale_per_group() {
        // Two rows of 4 codes, 2 groups each: row 1 holds codes 7, -8, 0, 1.
        let weight = [0x00, 0x00, 0xf0, 0x89];
        let scales = [1.0, 1.0, 0.5, 2.0];
        let mut out = [9.0f32; 8];
        let t = Table { rows: 2, dim: 4, groups: 2 };
        embedding_4bit(&weight, &scales, None, &[1i64, 5], &mut out, t);
        assert_eq!(out, [3.5, -4.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn byte_rows_subtract_their_zero_point() {
        let weight: [i8; 4] = [-2, 4, 10, 0];
        let mut out = [0.0f32; 2];
        embedding_byte(&weight, &[0.5, 0.25], Some(&[1.0, 2.0]), &[1i32], &mut out, Table { rows: 2, dim: 2, groups: 1 });
        assert_eq!(out, [2.0, -0.5]);
    }
}
