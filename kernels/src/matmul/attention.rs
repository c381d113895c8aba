//! The KV-cache ops of ExecuTorch's llama export (`extension/llm/custom_ops`):
//! `update_cache` writes new rows into a cache, `custom_sdpa` attends over
//! the rows written so far. Both read the cache position from the data, so
//! both fail the call, as ExecuTorch does, when it does not fit the cache.

use crate::Error;

/// Shapes of one attention call: `q` is `[batch, seq, heads, dim]`, the caches
/// `[batch, max, kv_heads, dim]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sdpa {
    pub batch: usize,
    pub seq: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub dim: usize,
    pub max: usize,
    pub causal: bool,
    pub scale: f32,
}

/// The position `pos[0]` as a row where `seq` rows fit below `max`.
fn position(op: &'static str, pos: &[i64], seq: usize, max: usize) -> Result<usize, Error> {
    let p = pos.first().copied().unwrap_or(0);
    let fits = max.checked_sub(seq).map_or(0, |n| n + 1);
    match usize::try_from(p) {
        Ok(row) if row < fits => Ok(row),
        _ => Err(Error::IndexOutOfRange { op, index: p, size: fits }),
    }
}

/// `value` `[batch, seq, row]` into rows `pos..pos + seq` of `cache`
/// `[batch, max, row]` (`row` is heads × dim); the other rows keep their data.
pub fn update_cache<T: Copy>(value: &[T], pos: &[i64], cache: &mut [T], batch: usize, seq: usize, max: usize, row: usize) -> Result<(), Error> {
    let start = position("update_cache", pos, seq, max)?;
    let n = seq * row;
    if n == 0 {
        return Ok(());
    }
    for (b, src) in value.chunks_exact(n).take(batch).enumerate() {
        let at = (b * max + start) * row;
        if let Some(dst) = cache.get_mut(at..at + n) {
            dst.copy_from_slice(src);
        }
    }
    Ok(())
}

/// `out[b, i, h]` = softmax over keys `j` of `scale · q[b, i, h] · k[b, j, h / group]`,
/// applied to `v`, for keys `j < pos + seq` (with `causal`, `j <= pos + i`).
/// Scores are scaled, then the max subtracted, exponentiated and summed in
/// key order, and the weighted values divided by the sum, as ExecuTorch's
/// flash attention does within one block of keys (its dot products go through
/// a GEMM, so their order differs from both). `scratch` holds `max` floats.
pub fn sdpa(q: &[f32], k: &[f32], v: &[f32], pos: &[i64], out: &mut [f32], scratch: &mut [f32], s: Sdpa) -> Result<(), Error> {
    let start = position("custom_sdpa", pos, s.seq, s.max)?;
    attend(q, k, v, out, scratch, s, start);
    Ok(())
}

avx2_clone! {
    fn attend(q: &[f32], k: &[f32], v: &[f32], out: &mut [f32], scratch: &mut [f32], s: Sdpa, start: usize) => attend_body
}

/// `Σ a·b` in eight running lanes, then the lanes and the tail in order.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail = a.len() / 8 * 8;
    let rest: f32 = a[tail..].iter().zip(b.get(tail..).unwrap_or(&[])).fold(0.0, |acc, (x, y)| acc + x * y);
    lanes.iter().fold(0.0, |acc, &l| acc + l) + rest
}

#[inline(always)]
fn attend_body(q: &[f32], k: &[f32], v: &[f32], out: &mut [f32], scratch: &mut [f32], s: Sdpa, start: usize) {
    let kv = start + s.seq;
    let group = (s.heads / s.kv_heads.max(1)).max(1);
    let (d, krow) = (s.dim, s.kv_heads * s.dim);
    if d == 0 || scratch.len() < kv {
        return;
    }
    for b in 0..s.batch {
        for i in 0..s.seq {
            let keys = if s.causal { (start + i + 1).min(kv) } else { kv };
            for h in 0..s.heads {
                let qo = ((b * s.seq + i) * s.heads + h) * d;
                let (Some(qv), Some(o)) = (q.get(qo..qo + d), out.get_mut(qo..qo + d)) else { continue };
                let base = b * s.max * krow + (h / group) * d;
                let mut best = f32::NEG_INFINITY;
                for (j, sc) in scratch[..keys].iter_mut().enumerate() {
                    let ko = base + j * krow;
                    *sc = dot(qv, k.get(ko..ko + d).unwrap_or(&[])) * s.scale;
                    best = best.max(*sc);
                }
                let mut sum = 0.0f32;
                for sc in &mut scratch[..keys] {
                    *sc = crate::elementwise::math::exp(*sc - best);
                    sum += *sc;
                }
                o.fill(0.0);
                for (j, &p) in scratch[..keys].iter().enumerate() {
                    let vo = base + j * krow;
                    for (a, &x) in o.iter_mut().zip(v.get(vo..vo + d).unwrap_or(&[])) {
                        *a += p * x;
                    }
                }
                for a in o.iter_mut() {
                    *a /= sum;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_cache_writes_its_rows_and_refuses_positions_past_the_end() {
        let mut cache = [0i32; 8]; // [1, 4, 2]
        update_cache(&[1, 2, 3, 4], &[1], &mut cache, 1, 2, 4, 2).unwrap();
        assert_eq!(cache, [0, 0, 1, 2, 3, 4, 0, 0]);
        let e = update_cache(&[1, 2, 3, 4], &[3], &mut cache, 1, 2, 4, 2).unwrap_err();
        assert_eq!(e, Error::IndexOutOfRange { op: "update_cache", index: 3, size: 3 });
        assert!(update_cache(&[1, 2], &[-1], &mut cache, 1, 1, 4, 2).is_err());
    }

    #[test]
    fn one_key_gives_its_value_and_causal_rows_see_only_the_past() {
        let s = Sdpa { batch: 1, seq: 2, heads: 2, kv_heads: 1, dim: 1, max: 4, causal: true, scale: 1.0 };
        let (k, v) = ([1.0, 2.0, 3.0, 0.0], [10.0, 20.0, 30.0, 0.0]);
        let (mut out, mut scratch) = ([0.0f32; 4], [0.0f32; 4]);
        sdpa(&[1.0, 1.0, 1.0, 1.0], &k, &v, &[0], &mut out, &mut scratch, s).unwrap();
        // Row 0 sees key 0 only; row 1 sees keys 0 and 1, weighted e^1 : e^2.
        assert_eq!(out[..2], [10.0, 10.0]);
        let (a, b) = (1f32.exp(), 2f32.exp());
        assert!((out[2] - (10.0 * a + 20.0 * b) / (a + b)).abs() < 1e-4);
        assert!(sdpa(&[0.0; 4], &k, &v, &[3], &mut out, &mut scratch, s).is_err());
    }
}
