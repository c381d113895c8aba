//! Elements moved by a rule on their coordinates: `flip`, `roll`, `tril`, and
//! reflection and replication padding.

use crate::MAX_RANK;

/// Row-major positions of `shape`, as a coordinate array, calling `f(o, coord)`.
pub(crate) fn each_position(shape: &[usize], mut f: impl FnMut(usize, &[usize; MAX_RANK])) {
    let n: usize = shape.iter().product();
    let mut p = [0usize; MAX_RANK];
    for o in 0..n {
        f(o, &p);
        for d in (0..shape.len()).rev() {
            p[d] += 1;
            if p[d] < shape[d] {
                break;
            }
            p[d] = 0;
        }
    }
}

fn offset_of(shape: &[usize], p: &[usize]) -> usize {
    shape.iter().zip(p).fold(0, |off, (&n, &c)| off * n + c)
}

/// `x` reversed along every flagged dim of `shape`.
pub fn flip<T: Copy>(x: &[T], shape: &[usize], flipped: &[bool], out: &mut [T]) {
    let rank = shape.len();
    if rank > MAX_RANK {
        return;
    }
    let mut stride = [0usize; MAX_RANK];
    let mut s = 1;
    for d in (0..rank).rev() {
        stride[d] = s;
        s *= shape[d];
    }
    let mut p = [0usize; MAX_RANK];
    for o in out.iter_mut().take(s) {
        let mut off = 0;
        for d in 0..rank {
            let c = if flipped.get(d).copied().unwrap_or(false) { shape[d] - 1 - p[d] } else { p[d] };
            off += c * stride[d];
        }
        if let Some(&v) = x.get(off) {
            *o = v;
        }
        for d in (0..rank).rev() {
            p[d] += 1;
            if p[d] < shape[d] {
                break;
            }
            p[d] = 0;
        }
    }
}

/// Reflection (`reflect`) or replication padding: `out` is `x` grown by
/// `before[d]` in front of each dim, each outside position mirrored (without
/// repeating the edge) or clamped onto `x`.
pub fn pad_edges<T: Copy>(x: &[T], x_shape: &[usize], before: &[usize], out: &mut [T], out_shape: &[usize], reflect: bool) {
    let rank = x_shape.len();
    if rank > MAX_RANK || out_shape.len() != rank || x_shape.contains(&0) {
        return;
    }
    let mut src = [0usize; MAX_RANK];
    each_position(out_shape, |o, p| {
        for d in 0..rank {
            let n = x_shape[d] as i64;
            let mut i = p[d] as i64 - before.get(d).copied().unwrap_or(0) as i64;
            if reflect && n > 1 {
                let period = 2 * (n - 1);
                i = i.rem_euclid(period);
                if i >= n {
                    i = period - i;
                }
            }
            src[d] = i.min(n - 1).max(0) as usize;
        }
        if let (Some(slot), Some(&v)) = (out.get_mut(o), x.get(offset_of(x_shape, &src[..rank]))) {
            *slot = v;
        }
    });
}

/// `roll`: every element moves `shifts[d]` places along dim `d`, wrapping around.
pub fn roll<T: Copy>(x: &[T], shape: &[usize], shifts: &[usize], out: &mut [T]) {
    let rank = shape.len();
    if rank > MAX_RANK {
        return;
    }
    let mut src = [0usize; MAX_RANK];
    each_position(shape, |o, p| {
        for d in 0..rank {
            let n = shape[d].max(1);
            src[d] = (p[d] + n - shifts.get(d).copied().unwrap_or(0) % n) % n;
        }
        if let (Some(slot), Some(&v)) = (out.get_mut(o), x.get(offset_of(shape, &src[..rank]))) {
            *slot = v;
        }
    });
}

/// `tril` over the last two dims `[rows, cols]`: elements with
/// `col - row > diagonal` become `T::default()`.
pub fn tril<T: Copy + Default>(x: &[T], out: &mut [T], rows: usize, cols: usize, diagonal: i64) {
    for (k, (o, &v)) in out.iter_mut().zip(x).enumerate() {
        let (r, c) = ((k / cols.max(1)) % rows.max(1), k % cols.max(1));
        *o = if c as i64 - r as i64 <= diagonal { v } else { T::default() };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pads_roll_and_tril() {
        let mut out = [0; 7];
        pad_edges(&[1, 2, 3], &[3], &[2], &mut out, &[7], true);
        assert_eq!(out, [3, 2, 1, 2, 3, 2, 1]);
        pad_edges(&[1, 2, 3], &[3], &[2], &mut out, &[7], false);
        assert_eq!(out, [1, 1, 1, 2, 3, 3, 3]);
        let mut r = [0; 6];
        roll(&[0, 1, 2, 3, 4, 5], &[2, 3], &[1, 2], &mut r);
        assert_eq!(r, [4, 5, 3, 1, 2, 0]);
        let mut t = [0; 6];
        tril(&[1, 2, 3, 4, 5, 6], &mut t, 2, 3, 0);
        assert_eq!(t, [1, 0, 0, 4, 5, 0]);
    }

    #[test]
    fn flip_two_dims() {
        let mut out = [0; 6];
        flip(&[0, 1, 2, 3, 4, 5], &[2, 3], &[true, true], &mut out);
        assert_eq!(out, [5, 4, 3, 2, 1, 0]);
        flip(&[0, 1, 2, 3, 4, 5], &[2, 3], &[false, true], &mut out);
        assert_eq!(out, [2, 1, 0, 5, 4, 3]);
    }
}
