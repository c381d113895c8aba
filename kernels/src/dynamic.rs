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
}
