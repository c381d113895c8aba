//! The error a generated method returns instead of panicking.

use core::fmt;

/// Why a call was refused. Nothing was computed when a method returns one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A runtime size exceeds the bound the program was planned for.
    DimTooLarge {
        input: usize,
        dim: usize,
        size: usize,
        bound: usize,
    },
    /// An input slice's length differs from the product of its runtime shape.
    InputLength {
        input: usize,
        len: usize,
        expected: usize,
    },
    /// An ndarray view's shape differs from the input's (feature `ndarray`).
    InputShape { input: usize },
    /// An output's elements do not fill its shape: a bug in etch.
    OutputShape { output: usize },
    /// An index read from the data is outside `[0, size)` (after negative
    /// indices count from the end, for the ops that allow them).
    IndexOutOfRange {
        op: &'static str,
        index: i64,
        size: usize,
    },
    /// An integer division or remainder by zero.
    DivisionByZero { op: &'static str },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::DimTooLarge {
                input,
                dim,
                size,
                bound,
            } => write!(
                f,
                "input {input}, dim {dim}: size {size} exceeds the bound {bound}"
            ),
            Error::InputLength {
                input,
                len,
                expected,
            } => write!(
                f,
                "input {input}: {len} elements given, its shape needs {expected}"
            ),
            Error::InputShape { input } => write!(f, "input {input}: the view's shape differs from the method's"),
            Error::OutputShape { output } => write!(f, "output {output}: its elements do not fill its shape (a bug in etch)"),
            Error::IndexOutOfRange { op, index, size } => {
                write!(f, "{op}: index {index} is out of range for size {size}")
            }
            Error::DivisionByZero { op } => write!(f, "{op}: integer division by zero"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;
    use std::string::ToString;

    #[test]
    fn messages_name_dim_and_bound() {
        let e = Error::DimTooLarge {
            input: 0,
            dim: 0,
            size: 9,
            bound: 8,
        };
        assert_eq!(e.to_string(), "input 0, dim 0: size 9 exceeds the bound 8");
        let e = Error::InputLength {
            input: 1,
            len: 3,
            expected: 4,
        };
        assert_eq!(
            e.to_string(),
            "input 1: 3 elements given, its shape needs 4"
        );
        let e = Error::IndexOutOfRange {
            op: "embedding",
            index: 300,
            size: 256,
        };
        assert_eq!(
            e.to_string(),
            "embedding: index 300 is out of range for size 256"
        );
    }
}
