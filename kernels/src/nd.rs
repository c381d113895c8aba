//! ndarray views in and out of a generated model's methods (feature `ndarray`).

use alloc::borrow::Cow;
use alloc::vec::Vec;

use ndarray::{ArrayViewD, IxDyn};

use crate::Error;

/// Input `input`'s elements in row-major order, checked against `shape`;
/// borrowed when the view is already contiguous, else copied.
pub fn input<'a, T: Copy>(x: &'a ArrayViewD<'_, T>, input: usize, shape: &[usize]) -> Result<Cow<'a, [T]>, Error> {
    if x.shape() != shape {
        return Err(Error::InputShape { input });
    }
    Ok(match x.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(x.iter().copied().collect::<Vec<T>>()),
    })
}

/// The elements as the fixed-size array a method takes.
pub fn array<T, const N: usize>(x: &[T], input: usize) -> Result<&[T; N], Error> {
    x.try_into().map_err(|_| Error::InputLength { input, len: x.len(), expected: N })
}

/// A method's output as a view of `shape`, borrowing the model's arena.
pub fn output<'a, T>(data: &'a [T], output: usize, shape: &[usize]) -> Result<ArrayViewD<'a, T>, Error> {
    ArrayViewD::from_shape(IxDyn(shape), data).map_err(|_| Error::OutputShape { output })
}
