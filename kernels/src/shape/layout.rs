//! Data movement: strided gathers, concatenation, fills and copies.

/// `out[idx] = x[offset + sum(idx[d] * strides[d])]` with `idx` running
/// row-major over `out_shape`. Covers permute, slice (with step), select,
/// expand and split. Missing strides count as 0.
pub fn gather_strided<T: Copy>(
    x: &[T],
    offset: usize,
    strides: &[usize],
    out: &mut [T],
    out_shape: &[usize],
) {
    walk(x, offset, strides, out, out_shape);
}

fn walk<T: Copy>(x: &[T], offset: usize, strides: &[usize], out: &mut [T], shape: &[usize]) {
    let stride = strides.first().copied().unwrap_or(0);
    match shape {
        [] => {
            if let (Some(o), Some(&v)) = (out.first_mut(), x.get(offset)) {
                *o = v;
            }
        }
        [n] => {
            let n = (*n).min(out.len());
            let out = &mut out[..n];
            let src = x.get(offset..).unwrap_or(&[]);
            match stride {
                0 => {
                    if let Some(&v) = src.first() {
                        out.fill(v);
                    }
                }
                1 => {
                    let len = n.min(src.len());
                    out[..len].copy_from_slice(&src[..len]);
                }
                s => out
                    .iter_mut()
                    .zip(src.iter().step_by(s))
                    .for_each(|(o, &v)| *o = v),
            }
        }
        [n, rest @ ..] => {
            let inner: usize = rest.iter().product();
            if inner == 0 {
                return;
            }
            let rest_strides = strides.get(1..).unwrap_or(&[]);
            for (i, chunk) in out.chunks_exact_mut(inner).take(*n).enumerate() {
                walk(x, offset + i * stride, rest_strides, chunk, rest);
            }
        }
    }
}

/// Writes one `cat` input viewed as `[outer, src_inner]` into the output viewed
/// as `[outer, out_inner]`, starting at column `out_offset`.
pub fn concat_part<T: Copy>(
    src: &[T],
    out: &mut [T],
    outer: usize,
    src_inner: usize,
    out_inner: usize,
    out_offset: usize,
) {
    if src_inner == 0 || out_inner == 0 {
        return;
    }
    let rows = src
        .chunks_exact(src_inner)
        .zip(out.chunks_exact_mut(out_inner));
    for (s, o) in rows.take(outer) {
        if let Some(dst) = o.get_mut(out_offset..) {
            let len = src_inner.min(dst.len());
            dst[..len].copy_from_slice(&s[..len]);
        }
    }
}

/// `out` is `x` (of `x_shape`) with `before[d]` elements of `value` ahead of
/// it in every dim `d`, and as many after as `out_shape` leaves room for.
pub fn pad<T: Copy>(x: &[T], x_shape: &[usize], before: &[usize], out: &mut [T], out_shape: &[usize], value: T) {
    match (x_shape, before, out_shape) {
        ([], _, _) => {
            if let (Some(o), Some(&v)) = (out.first_mut(), x.first()) {
                *o = v;
            }
        }
        ([n], [b, ..], [_]) => {
            let (head, rest) = out.split_at_mut((*b).min(out.len()));
            head.fill(value);
            let len = (*n).min(rest.len()).min(x.len());
            rest[..len].copy_from_slice(&x[..len]);
            rest[len..].fill(value);
        }
        ([n, xs @ ..], [b, bs @ ..], [_, os @ ..]) => {
            let (x_inner, out_inner) = (xs.iter().product::<usize>(), os.iter().product::<usize>());
            if out_inner == 0 {
                return;
            }
            for (i, o) in out.chunks_exact_mut(out_inner).enumerate() {
                let src = i.checked_sub(*b).filter(|&j| j < *n).and_then(|j| x.get(j * x_inner..(j + 1) * x_inner));
                match src {
                    Some(src) => pad(src, xs, bs, o, os, value),
                    None => o.fill(value),
                }
            }
        }
        _ => out.fill(value),
    }
}

#[inline]
pub fn fill<T: Copy>(out: &mut [T], value: T) {
    out.fill(value);
}

/// Copies the common prefix of `x` into `out`.
#[inline]
pub fn copy<T: Copy>(x: &[T], out: &mut [T]) {
    let len = x.len().min(out.len());
    out[..len].copy_from_slice(&x[..len]);
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::vec::Vec;

    #[test]
    fn pad_2d_against_index_math() {
        let x: Vec<i32> = (1..=6).collect(); // [2, 3]
        let mut out = [0i32; 4 * 6];
        pad(&x, &[2, 3], &[1, 2], &mut out, &[4, 6], -1);
        for r in 0..4 {
            for c in 0..6 {
                let want = if (1..3).contains(&r) && (2..5).contains(&c) { x[(r - 1) * 3 + c - 2] } else { -1 };
                assert_eq!(out[r * 6 + c], want, "({r}, {c})");
            }
        }
    }

    #[test]
    fn permute_3d() {
        // x: [2, 3, 4], permute (2, 0, 1) -> out [4, 2, 3].
        let x: Vec<i32> = (0..24).collect();
        let mut out = [0i32; 24];
        gather_strided(&x, 0, &[1, 12, 4], &mut out, &[4, 2, 3]);
        for a in 0..4 {
            for b in 0..2 {
                for c in 0..3 {
                    assert_eq!(out[(a * 2 + b) * 3 + c], x[(b * 3 + c) * 4 + a]);
                }
            }
        }
    }

    #[test]
    fn slice_with_step_select_and_expand() {
        // x: [3, 5]; x[1:3, 0:5:2] -> [2, 3].
        let x: Vec<i32> = (0..15).collect();
        let mut out = [0i32; 6];
        gather_strided(&x, 5, &[5, 2], &mut out, &[2, 3]);
        assert_eq!(out, [5, 7, 9, 10, 12, 14]);
        // select x[:, 3] -> [3].
        let mut col = [0i32; 3];
        gather_strided(&x, 3, &[5], &mut col, &[3]);
        assert_eq!(col, [3, 8, 13]);
        // contiguous slice rows 1..3 -> fast path.
        let mut rows = [0i32; 10];
        gather_strided(&x, 5, &[5, 1], &mut rows, &[2, 5]);
        assert_eq!(rows[..], x[5..15]);
        // expand [3] -> [2, 3] and [3, 1] -> [3, 2].
        let mut e = [0i32; 6];
        gather_strided(&[7, 8, 9], 0, &[0, 1], &mut e, &[2, 3]);
        assert_eq!(e, [7, 8, 9, 7, 8, 9]);
        gather_strided(&[7, 8, 9], 0, &[1, 0], &mut e, &[3, 2]);
        assert_eq!(e, [7, 7, 8, 8, 9, 9]);
        // rank 0.
        let mut s = [0i32; 1];
        gather_strided(&[4, 5], 1, &[], &mut s, &[]);
        assert_eq!(s, [5]);
    }

    #[test]
    fn concat_along_dim1() {
        // a: [2, 2], b: [2, 3] -> out [2, 5].
        let mut out = [0i32; 10];
        concat_part(&[1, 2, 3, 4], &mut out, 2, 2, 5, 0);
        concat_part(&[5, 6, 7, 8, 9, 10], &mut out, 2, 3, 5, 2);
        assert_eq!(out, [1, 2, 5, 6, 7, 3, 4, 8, 9, 10]);
    }

    #[test]
    fn fill_and_copy() {
        let mut out = [0.0f32; 3];
        fill(&mut out, 2.5);
        assert_eq!(out, [2.5; 3]);
        copy(&[1.0, 2.0], &mut out);
        assert_eq!(out, [1.0, 2.0, 2.5]);
    }
}
