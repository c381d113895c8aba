//! Helpers for methods with bounded dynamic sizes: buffers are planned at
//! the bound, kernels see only the first `n` elements the runtime size needs.

use crate::Error;

/// The first `n` elements of `x`, or all of `x` when it is shorter.
#[inline(always)]
pub fn head<T>(x: &[T], n: usize) -> &[T] {
    match x.split_at_checked(n) {
        Some((h, _)) => h,
        None => x,
    }
}

/// [`head`] for a mutable window.
#[inline(always)]
pub fn head_mut<T>(x: &mut [T], n: usize) -> &mut [T] {
    let len = x.len();
    match x.split_at_mut_checked(n.min(len)) {
        Some((h, _)) => h,
        None => &mut [],
    }
}

/// Row `i` of `x`, rows of `n` elements; empty past the end.
#[inline(always)]
pub fn row<T>(x: &[T], i: usize, n: usize) -> &[T] {
    match i.checked_mul(n).and_then(|a| Some(a..a.checked_add(n)?)) {
        Some(r) => x.get(r).unwrap_or(&[]),
        None => &[],
    }
}

/// [`row`] of a mutable window.
#[inline(always)]
pub fn row_mut<T>(x: &mut [T], i: usize, n: usize) -> &mut [T] {
    match i.checked_mul(n).and_then(|a| Some(a..a.checked_add(n)?)) {
        Some(r) => x.get_mut(r).unwrap_or(&mut []),
        None => &mut [],
    }
}

/// Rows `start..start + len` of `x` (`size` rows of `inner` elements) into
/// `out`, where `start = offset + pos[0]` (when `pos` is given) `+ size` (with
/// `from_end`). Fails, writing nothing, when those rows are not all in `x`:
/// a slice whose bounds are runtime scalars (`input_pos`, a runtime size).
#[allow(clippy::too_many_arguments)]
pub fn slice_rows<T: Copy>(
    x: &[T],
    pos: Option<&[i64]>,
    out: &mut [T],
    offset: i64,
    from_end: bool,
    len: usize,
    size: usize,
    inner: usize,
) -> Result<(), Error> {
    let p = pos.map_or(0, |p| p.first().copied().unwrap_or(0));
    let end_base = if from_end { size as i64 } else { 0 };
    let start = offset.saturating_add(p).saturating_add(end_base);
    let fits = usize::try_from(start)
        .ok()
        .filter(|&s| s.checked_add(len).is_some_and(|e| e <= size));
    let Some(s) = fits else {
        let index = if start < 0 {
            start
        } else {
            start.saturating_add(len as i64)
        };
        return Err(Error::IndexOutOfRange {
            op: "slice",
            index,
            size,
        });
    };
    let src = x.get(s * inner..(s + len) * inner).unwrap_or(&[]);
    out.iter_mut().zip(src).for_each(|(o, &v)| *o = v);
    Ok(())
}

/// Fails when runtime size `size` of `input`'s dim `dim` exceeds `bound`.
#[inline]
pub fn check_dim(input: usize, dim: usize, size: usize, bound: usize) -> Result<(), Error> {
    if size > bound {
        return Err(Error::DimTooLarge {
            input,
            dim,
            size,
            bound,
        });
    }
    Ok(())
}

/// Fails when an input slice does not hold exactly `expected` elements.
#[inline]
pub fn check_len(input: usize, len: usize, expected: usize) -> Result<(), Error> {
    if len != expected {
        return Err(Error::InputLength {
            input,
            len,
            expected,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_never_exceed_the_slice() {
        let x = [1, 2, 3];
        assert_eq!(head(&x, 2), &[1, 2]);
        assert_eq!(head(&x, 5), &[1, 2, 3]);
        let mut y = [1, 2, 3];
        head_mut(&mut y, 1)[0] = 9;
        assert_eq!(y, [9, 2, 3]);
        assert_eq!(head_mut(&mut y, 7).len(), 3);
    }

    #[test]
    fn checks_report_the_offending_size() {
        assert_eq!(check_dim(0, 0, 8, 8), Ok(()));
        assert_eq!(
            check_dim(0, 1, 9, 8),
            Err(Error::DimTooLarge {
                input: 0,
                dim: 1,
                size: 9,
                bound: 8
            })
        );
        assert_eq!(check_len(2, 10, 10), Ok(()));
        assert_eq!(
            check_len(2, 9, 10),
            Err(Error::InputLength {
                input: 2,
                len: 9,
                expected: 10
            })
        );
    }
    #[test]
    fn runtime_slices_check_their_rows() {
        let x = [0, 1, 2, 3, 4, 5, 6, 7];
        let mut out = [9; 4];
        assert_eq!(
            slice_rows(&x, Some(&[1]), &mut out, 0, false, 2, 4, 2),
            Ok(())
        );
        assert_eq!(out, [2, 3, 4, 5]);
        let mut last = [9; 2];
        assert_eq!(slice_rows(&x, None, &mut last, -1, true, 1, 3, 2), Ok(()));
        assert_eq!(last, [4, 5]);
        let e = slice_rows(&x, Some(&[3]), &mut out, 0, false, 2, 4, 2);
        assert_eq!(
            e,
            Err(Error::IndexOutOfRange {
                op: "slice",
                index: 5,
                size: 4
            })
        );
        let e = slice_rows(&x, Some(&[-1]), &mut out, 0, false, 2, 4, 2);
        assert_eq!(
            e,
            Err(Error::IndexOutOfRange {
                op: "slice",
                index: -1,
                size: 4
            })
        );
        assert_eq!(row(&x, 1, 3), &[3, 4, 5]);
        assert!(row(&x, 3, 3).is_empty() && row(&x, usize::MAX, 2).is_empty());
        row_mut(&mut out, 1, 2)[0] = 7;
        assert_eq!(out[2], 7);
    }
}
