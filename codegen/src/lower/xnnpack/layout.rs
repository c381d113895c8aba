//! Layouts as permutations, in `torch.permute` terms: `x.permute(p)` has
//! dim `d` of size `x.shape[p[d]]`.

use crate::ir::ValueId;
use crate::lower::strides;

/// An XNNPACK value held as `id.permute(perm)`: `id` is an IR value whose
/// dims are the XNNPACK value's dims in another order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    pub id: ValueId,
    pub perm: Vec<usize>,
}

impl Tracked {
    pub fn plain(id: ValueId, rank: usize) -> Self {
        Self { id, perm: identity(rank) }
    }
}

pub fn identity(rank: usize) -> Vec<usize> {
    (0..rank).collect()
}

/// NHWC dims of an NCHW IR value: XNNPACK's convolution layout.
pub const NHWC: [usize; 4] = [0, 2, 3, 1];

pub fn inverse(p: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; p.len()];
    for (d, &s) in p.iter().enumerate() {
        inv[s] = d;
    }
    inv
}

/// `x.permute(a).permute(b) = x.permute(then(a, b))`.
pub fn then(a: &[usize], b: &[usize]) -> Vec<usize> {
    b.iter().map(|&d| a[d]).collect()
}

/// Whether `p` is a permutation of `0..rank`.
pub fn is_permutation(p: &[usize], rank: usize) -> bool {
    let mut seen = vec![false; rank];
    p.len() == rank && p.iter().all(|&d| d < rank && !std::mem::replace(&mut seen[d], true))
}

/// The IR shape `y` with `y.permute(perm)` of XNNPACK dims `dims`.
pub fn stored_shape(dims: &[usize], perm: &[usize]) -> Vec<usize> {
    let mut shape = vec![0; dims.len()];
    for (d, &p) in perm.iter().enumerate() {
        shape[p] = dims[d];
    }
    shape
}

/// For an IR value of `shape` holding `x` as layout `from`: the shape and the
/// `Gather` strides of the value that holds `x` as layout `to`.
pub fn gather(shape: &[usize], from: &[usize], to: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let q = then(from, &inverse(to));
    let s = strides(shape);
    (q.iter().map(|&d| shape[d]).collect(), q.iter().map(|&d| s[d]).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nchw_held_as_nhwc_needs_no_move() {
        // An NCHW input, transposed to NHWC by the graph: the IR value is
        // the input itself, and a convolution wants exactly that.
        let held = then(&identity(4), &NHWC);
        assert_eq!(held, NHWC);
        let (shape, strides) = gather(&[1, 3, 8, 8], &held, &NHWC);
        assert_eq!((shape, strides), (vec![1, 3, 8, 8], vec![192, 64, 8, 1]));
    }

    #[test]
    fn nhwc_made_contiguous() {
        // IR [n, c, h, w] = [1, 2, 3, 4] holding an NHWC value; contiguous NHWC is [1, 3, 4, 2].
        let (shape, strides) = gather(&[1, 2, 3, 4], &NHWC, &identity(4));
        assert_eq!(shape, [1, 3, 4, 2]);
        assert_eq!(strides, [24, 4, 1, 12]);
        assert_eq!(stored_shape(&[1, 3, 4, 2], &NHWC), [1, 2, 3, 4]);
    }

    #[test]
    fn inverse_and_permutation_checks() {
        assert_eq!(inverse(&NHWC), [0, 3, 1, 2]);
        assert_eq!(then(&NHWC, &inverse(&NHWC)), identity(4));
        assert!(is_permutation(&[2, 0, 1], 3));
        assert!(!is_permutation(&[0, 0, 1], 3));
        assert!(!is_permutation(&[0, 3, 1], 3));
    }
}
