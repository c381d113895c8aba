//! Compile-time-checked windows into a model's scratch arena.
//!
//! Generated code passes every offset and length as a const parameter, so a
//! plan that does not fit is a compile error, and the bounds checks left in
//! the safe code below fold away.

/// Splits `arena` around the output window `[O, O + N)`: the part before it,
/// the window itself, and the part after it.
#[inline(always)]
pub fn split_out<T, const L: usize, const O: usize, const N: usize>(
    arena: &mut [T; L],
) -> (&mut [T], &mut [T], &mut [T]) {
    const { assert!(O + N <= L, "output window exceeds the arena") };
    let (lo, rest) = arena.split_at_mut(O);
    let (out, hi) = rest.split_at_mut(N);
    (lo, out, hi)
}

/// Splits the part after a window around the next window `[offset, offset + len)`
/// of it. The offsets are constants the planner proved in bounds, so the checks
/// inside fold away.
#[inline(always)]
pub fn split_rest<T>(rest: &mut [T], offset: usize, len: usize) -> (&mut [T], &mut [T], &mut [T]) {
    let (lo, rest) = rest.split_at_mut(offset);
    let (out, hi) = rest.split_at_mut(len);
    (lo, out, hi)
}

/// The window `[O, O + N)` of `data` as an array reference.
#[inline(always)]
pub fn window<T, const L: usize, const O: usize, const N: usize>(data: &[T; L]) -> &[T; N] {
    const { assert!(O + N <= L, "window exceeds the array") };
    match data[O..].first_chunk::<N>() {
        Some(w) => w,
        // The const assertion above proves the window fits; the optimizer drops this arm.
        None => unreachable!(),
    }
}

/// The window `[O, O + N)` of `data` as a mutable array reference.
#[inline(always)]
pub fn window_mut<T, const L: usize, const O: usize, const N: usize>(data: &mut [T; L]) -> &mut [T; N] {
    const { assert!(O + N <= L, "window exceeds the array") };
    match data[O..].first_chunk_mut::<N>() {
        Some(w) => w,
        // The const assertion above proves the window fits; the optimizer drops this arm.
        None => unreachable!(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_window() {
        let mut a = [0, 1, 2, 3, 4, 5];
        let (lo, out, hi) = split_out::<_, 6, 2, 3>(&mut a);
        assert_eq!((&*lo, &*out, &*hi), (&[0, 1][..], &[2, 3, 4][..], &[5][..]));
        let (gap, next, tail) = split_rest(hi, 0, 1);
        assert_eq!((gap.len(), &*next, tail.len()), (0, &[5][..], 0));
        out[0] = 9;
        assert_eq!(window::<_, 6, 2, 2>(&a), &[9, 3]);
    }
}
