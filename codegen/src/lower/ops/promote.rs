//! ExecuTorch's type promotion, over the dtypes etch holds.

use crate::ir::{BinaryFn, DType};
use crate::lower::cx::ScalarKind;

/// `promoteTypes(a, b)`; `None` where the result is a dtype etch lacks (u8 with i8 gives i16).
pub fn promote(a: DType, b: DType) -> Option<DType> {
    let rank = |d: DType| match d {
        DType::Bool => 0,
        DType::U8 | DType::I8 => 1,
        DType::I32 => 3,
        DType::I64 => 4,
        DType::F32 => 5,
    };
    match (a, b) {
        _ if a == b => Some(a),
        (DType::U8, DType::I8) | (DType::I8, DType::U8) => None,
        _ => Some(if rank(a) >= rank(b) { a } else { b }),
    }
}

/// `promote_type_with_scalar`: a scalar of another category lifts the tensor's
/// dtype to the scalar's default (i64 for an int with a bool tensor, f32 for a float).
pub fn with_scalar(t: DType, kind: ScalarKind) -> DType {
    match kind {
        ScalarKind::Bool => t,
        ScalarKind::Int if t == DType::Bool => DType::I64,
        ScalarKind::Int => t,
        ScalarKind::Float if t.is_float() => t,
        ScalarKind::Float => DType::F32,
    }
}

/// The dtype ExecuTorch computes in: the promoted one, f32 for an integer
/// division or atan2; `None` where ExecuTorch refuses the dtypes.
pub fn compute_dtype(f: BinaryFn, a: DType, b: DType) -> Option<DType> {
    let common = promote(a, b)?;
    match f {
        BinaryFn::Div | BinaryFn::Atan2 if !common.is_float() => Some(DType::F32),
        BinaryFn::BitAnd | BinaryFn::BitOr | BinaryFn::BitXor if common.is_float() => None,
        BinaryFn::FloorDiv | BinaryFn::TruncDiv | BinaryFn::Remainder | BinaryFn::Fmod | BinaryFn::Pow if common == DType::Bool => None,
        _ => Some(common),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotes_like_executorch() {
        assert_eq!(promote(DType::I64, DType::F32), Some(DType::F32));
        assert_eq!(promote(DType::Bool, DType::I32), Some(DType::I32));
        assert_eq!(promote(DType::I32, DType::I64), Some(DType::I64));
        assert_eq!(promote(DType::U8, DType::I8), None);
        assert_eq!(with_scalar(DType::I64, ScalarKind::Float), DType::F32);
        assert_eq!(with_scalar(DType::Bool, ScalarKind::Int), DType::I64);
        assert_eq!(with_scalar(DType::I32, ScalarKind::Int), DType::I32);
        assert_eq!(with_scalar(DType::F32, ScalarKind::Int), DType::F32);
    }
}
