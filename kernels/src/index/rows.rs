//! Integer-indexed data movement (`embedding`, `index_select`, `index_put`)
//! and `arange`.
//!
//! ExecuTorch fails the whole call on an index out of range: generated code
//! calls [`check`] first, and its method returns the `Err`. The kernels still
//! give a defined result on their own (a zero row for a bad read, no write for
//! a bad write), so nothing is ever read or written out of bounds.

use crate::Error;

/// Integer types ExecuTorch accepts as indices.
pub trait Index: Copy {
    fn to_i64(self) -> i64;
}

impl Index for i64 {
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self
    }
}

impl Index for i32 {
    #[inline(always)]
    fn to_i64(self) -> i64 {
        i64::from(self)
    }
}

/// The first index outside `[0, size)` as an error naming `op`. With `wrap`,
/// negative indices count from the end first (`index.Tensor`, `index_put`).
pub fn check<I: Index>(op: &'static str, index: &[I], size: usize, wrap: bool) -> Result<(), Error> {
    for &i in index {
        let i = i.to_i64();
        let j = if wrap && i < 0 { i.wrapping_add(size as i64) } else { i };
        if usize::try_from(j).map_or(true, |j| j >= size) {
            return Err(Error::IndexOutOfRange { op, index: i, size });
        }
    }
    Ok(())
}

/// `x` viewed as `[lead, size, trail]`: `out[l, j, t] = x[l, index[j], t]`.
/// An index outside `[0, size)` gives a row of `T::default()`.
pub fn index_select<T: Copy + Default, I: Index>(
    x: &[T],
    index: &[I],
    out: &mut [T],
    lead: usize,
    size: usize,
    trail: usize,
) {
    if trail == 0 {
        return;
    }
    let block = size * trail;
    let rows = out.chunks_exact_mut(trail);
    for (r, row) in rows.take(lead * index.len()).enumerate() {
        let (l, j) = (r / index.len(), r % index.len());
        let i = index[j].to_i64();
        let src = usize::try_from(i)
            .ok()
            .filter(|&i| i < size)
            .and_then(|i| x.get(l * block + i * trail..)?.get(..trail));
        match src {
            Some(src) => row.copy_from_slice(src),
            None => row.fill(T::default()),
        }
    }
}

/// In place on `out` viewed as `[lead, size, trail]`:
/// `out[l, index[j], t] = combine(out[l, index[j], t], values[l, j, t])`,
/// in order of `(l, j, t)`, so the last of repeated indices wins.
/// Negative indices count from the end; others out of range are skipped.
#[allow(clippy::too_many_arguments)]
pub fn index_put<T: Copy, I: Index>(
    out: &mut [T],
    index: &[I],
    values: &[T],
    lead: usize,
    size: usize,
    trail: usize,
    combine: impl Fn(T, T) -> T,
) {
    if trail == 0 {
        return;
    }
    let block = size * trail;
    let rows = values.chunks_exact(trail);
    for (r, row) in rows.take(lead * index.len()).enumerate() {
        let (l, j) = (r / index.len(), r % index.len());
        let mut i = index[j].to_i64();
        if i < 0 {
            i += size as i64;
        }
        let dst = usize::try_from(i)
            .ok()
            .filter(|&i| i < size)
            .and_then(|i| out.get_mut(l * block + i * trail..)?.get_mut(..trail));
        if let Some(dst) = dst {
            dst.iter_mut()
                .zip(row)
                .for_each(|(o, &v)| *o = combine(*o, v));
        }
    }
}

/// `index_put` with several index tensors on adjacent dims: `out` viewed as
/// `[lead, sizes..., trail]`, `values` as `[lead, n, trail]`, and each of the
/// `n` positions picked by one value of every index (negative ones count from
/// the end). In order, so the last of repeated positions wins; bad ones are skipped.
#[allow(clippy::too_many_arguments)]
pub fn index_put_nd<T: Copy, I: Index>(
    out: &mut [T],
    indices: &[&[I]],
    sizes: &[usize],
    values: &[T],
    lead: usize,
    trail: usize,
    combine: impl Fn(T, T) -> T,
) {
    if trail == 0 || indices.len() != sizes.len() {
        return;
    }
    let n = indices.first().map_or(1, |i| i.len());
    let block: usize = sizes.iter().product::<usize>() * trail;
    for (r, row) in values.chunks_exact(trail).take(lead * n).enumerate() {
        let (l, j) = (r / n.max(1), r % n.max(1));
        let mut at = Some(0usize);
        for (index, &size) in indices.iter().zip(sizes) {
            let i = index.get(j).map_or(-1, |i| i.to_i64());
            let i = if i < 0 { i + size as i64 } else { i };
            at = at.zip(usize::try_from(i).ok().filter(|&i| i < size)).map(|(a, i)| a * size + i);
        }
        let dst = at.and_then(|a| out.get_mut(l * block + a * trail..)?.get_mut(..trail));
        if let Some(dst) = dst {
            dst.iter_mut().zip(row).for_each(|(o, &v)| *o = combine(*o, v));
        }
    }
}

/// `out[i] = cast(start + i * step)`, evaluated in double as ExecuTorch does.
pub fn arange<T>(out: &mut [T], start: f64, step: f64, cast: impl Fn(f64) -> T) {
    for (i, o) in out.iter_mut().enumerate() {
        *o = cast(start + i as f64 * step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_rows_and_bad_ids() {
        // weight [4, 2], ids [2, 0, 4, -1].
        let w = [0.0f32, 1.0, 10.0, 11.0, 20.0, 21.0, 30.0, 31.0];
        let mut out = [9.0f32; 8];
        index_select(&w, &[2i64, 0, 4, -1], &mut out, 1, 4, 2);
        assert_eq!(out, [20.0, 21.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn select_along_a_middle_dim() {
        // x [2, 3, 2] = 0..12, select dim 1 at [2, 1] -> [2, 2, 2].
        let x: [i32; 12] = core::array::from_fn(|i| i as i32);
        let mut out = [0i32; 8];
        index_select(&x, &[2i32, 1], &mut out, 2, 3, 2);
        assert_eq!(out, [4, 5, 2, 3, 10, 11, 8, 9]);
    }

    #[test]
    fn put_rows_with_negative_repeated_and_bad_indices() {
        // out [2, 3, 2], put along dim 1 at [-1, 5, 0, 0].
        let mut out = [0i32; 12];
        let values: [i32; 16] = core::array::from_fn(|i| 100 + i as i32);
        index_put(&mut out, &[-1i64, 5, 0, 0], &values, 2, 3, 2, |_, v| v);
        // Row -1 is row 2; index 5 is skipped; the second 0 wins.
        assert_eq!(out, [106, 107, 0, 0, 100, 101, 114, 115, 0, 0, 108, 109]);
        let mut acc = [1i32; 12];
        index_put(&mut acc, &[0i64, 0], &[1; 8], 2, 3, 2, |o, v| o + v);
        assert_eq!(acc, [3, 3, 1, 1, 1, 1, 3, 3, 1, 1, 1, 1]);
    }

    #[test]
    fn check_names_the_first_bad_index() {
        assert_eq!(check("embedding", &[0i64, 3], 4, false), Ok(()));
        let e = Error::IndexOutOfRange { op: "embedding", index: 4, size: 4 };
        assert_eq!(check("embedding", &[0i64, 4, 9], 4, false), Err(e));
        let e = Error::IndexOutOfRange { op: "gather", index: -1, size: 4 };
        assert_eq!(check("gather", &[-1i32], 4, false), Err(e));
        assert_eq!(check("index", &[-4i64], 4, true), Ok(()));
        let e = Error::IndexOutOfRange { op: "index", index: -5, size: 4 };
        assert_eq!(check("index", &[-5i64], 4, true), Err(e));
    }

    #[test]
    fn put_at_pairs_of_indices() {
        // out [1, 2, 3, 1]; positions (1, -1) and (0, 0), then (1, 2) again.
        let mut out = [0i32; 6];
        index_put_nd(&mut out, &[&[1i64, 0, 1][..], &[-1i64, 0, 2][..]], &[2, 3], &[5, 6, 7], 1, 1, |_, v| v);
        assert_eq!(out, [6, 0, 0, 0, 0, 7]);
    }

    #[test]
    fn arange_in_double() {
        let mut out = [0i64; 4];
        arange(&mut out, 0.0, 1.0, |v| v as i64);
        assert_eq!(out, [0, 1, 2, 3]);
        let mut f = [0.0f32; 3];
        arange(&mut f, 0.1, 0.1, |v| v as f32);
        assert_eq!(f, [0.1, 0.2, (0.1f64 + 2.0 * 0.1) as f32]);
    }
}
