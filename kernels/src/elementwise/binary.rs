//! Elementwise binary ops, same-shape and broadcasting.

use core::iter;

use crate::Error;

/// Refuses a zero among integer divisors, as ExecuTorch fails `floor_divide`,
/// `remainder` and rounded `div` on integers.
pub fn check_divisor<T: Copy + PartialEq + Default>(op: &'static str, divisor: &[T]) -> Result<(), Error> {
    match divisor.contains(&T::default()) {
        true => Err(Error::DivisionByZero { op }),
        false => Ok(()),
    }
}

/// `out[i] = f(a[i], b[i])` over the common length.
#[inline]
pub fn zip<A: Copy, B: Copy, O>(a: &[A], b: &[B], out: &mut [O], f: impl Fn(A, B) -> O) {
    out.iter_mut()
        .zip(a.iter().zip(b))
        .for_each(|(o, (&x, &y))| *o = f(x, y));
}

/// Broadcasting binary op. `a_strides`/`b_strides` give, per output dim, the
/// element stride of each input (0 where it is broadcast); missing strides
/// count as 0. The output is written row-major over `out_shape`.
pub fn broadcast<A: Copy, B: Copy, O>(
    a: &[A],
    a_strides: &[usize],
    b: &[B],
    b_strides: &[usize],
    out: &mut [O],
    out_shape: &[usize],
    f: impl Fn(A, B) -> O,
) {
    // Adjacent dims that both inputs step through as through one dim merge,
    // so the innermost loop runs over longer rows ([1, C, H, W] × [1, C, 1, 1]
    // walks C rows of H*W, not C*H rows of W).
    let nd = out_shape.len();
    if (2..=MAX_DIMS).contains(&nd) {
        let (mut shape, mut sa, mut sb) = ([0; MAX_DIMS], [0; MAX_DIMS], [0; MAX_DIMS]);
        let mut len = 0;
        for (d, &n) in out_shape.iter().enumerate() {
            let (x, y) = (a_strides.get(d).copied().unwrap_or(0), b_strides.get(d).copied().unwrap_or(0));
            if len > 0 && Some(sa[len - 1]) == x.checked_mul(n) && Some(sb[len - 1]) == y.checked_mul(n) {
                shape[len - 1] *= n;
                (sa[len - 1], sb[len - 1]) = (x, y);
            } else {
                (shape[len], sa[len], sb[len]) = (n, x, y);
                len += 1;
            }
        }
        let sides = Sides { a, a_strides: &sa[..len], b, b_strides: &sb[..len] };
        sides.walk(0, 0, 0, out, &shape[..len], &f);
        return;
    }
    let sides = Sides {
        a,
        a_strides,
        b,
        b_strides,
    };
    sides.walk(0, 0, 0, out, out_shape, &f);
}

/// Most dims `broadcast` merges; more go unmerged.
const MAX_DIMS: usize = 8;

struct Sides<'x, A, B> {
    a: &'x [A],
    a_strides: &'x [usize],
    b: &'x [B],
    b_strides: &'x [usize],
}

impl<A: Copy, B: Copy> Sides<'_, A, B> {
    /// Recurses over the outer dims; `dim` is the current output dim.
    fn walk<O, F: Fn(A, B) -> O>(
        &self,
        dim: usize,
        a_off: usize,
        b_off: usize,
        out: &mut [O],
        shape: &[usize],
        f: &F,
    ) {
        let sa = self.a_strides.get(dim).copied().unwrap_or(0);
        let sb = self.b_strides.get(dim).copied().unwrap_or(0);
        match shape {
            [] => {
                if let (Some(o), Some(&x), Some(&y)) =
                    (out.first_mut(), self.a.get(a_off), self.b.get(b_off))
                {
                    *o = f(x, y);
                }
            }
            [n] => {
                let n = (*n).min(out.len());
                self.row(a_off, sa, b_off, sb, &mut out[..n], f);
            }
            [n, rest @ ..] => {
                let inner: usize = rest.iter().product();
                if inner == 0 {
                    return;
                }
                for (i, chunk) in out.chunks_exact_mut(inner).take(*n).enumerate() {
                    self.walk(dim + 1, a_off + i * sa, b_off + i * sb, chunk, rest, f);
                }
            }
        }
    }

    /// Innermost dim, with dedicated loops for unit and zero strides.
    #[inline]
    fn row<O, F: Fn(A, B) -> O>(
        &self,
        a_off: usize,
        sa: usize,
        b_off: usize,
        sb: usize,
        out: &mut [O],
        f: &F,
    ) {
        let a = self.a.get(a_off..).unwrap_or(&[]);
        let b = self.b.get(b_off..).unwrap_or(&[]);
        match (sa, sb) {
            (1, 1) => zip(a, b, out, f),
            (1, 0) => {
                if let Some(&y) = b.first() {
                    fill_from(out, a.iter().map(|&x| f(x, y)));
                }
            }
            (0, 1) => {
                if let Some(&x) = a.first() {
                    fill_from(out, b.iter().map(|&y| f(x, y)));
                }
            }
            (0, 0) => {
                if let (Some(&x), Some(&y)) = (a.first(), b.first()) {
                    fill_from(out, iter::repeat_with(|| f(x, y)));
                }
            }
            (0, _) => {
                if let Some(&x) = a.first() {
                    fill_from(out, b.iter().step_by(sb).map(|&y| f(x, y)));
                }
            }
            (_, 0) => {
                if let Some(&y) = b.first() {
                    fill_from(out, a.iter().step_by(sa).map(|&x| f(x, y)));
                }
            }
            _ => fill_from(
                out,
                a.iter()
                    .step_by(sa)
                    .zip(b.iter().step_by(sb))
                    .map(|(&x, &y)| f(x, y)),
            ),
        }
    }
}

#[inline]
fn fill_from<O>(out: &mut [O], values: impl Iterator<Item = O>) {
    out.iter_mut().zip(values).for_each(|(o, v)| *o = v);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_adds() {
        let mut out = [0.0f32; 3];
        zip(
            &[1.0f32, 2.0, 3.0],
            &[10.0f32, 20.0, 30.0],
            &mut out,
            |x, y| x + y,
        );
        assert_eq!(out, [11.0, 22.0, 33.0]);
    }

    #[test]
    fn broadcast_2x3x1_by_1x3x4() {
        // a: [2,3,1] = 0..6, b: [1,3,4] = 0..12, out: [2,3,4].
        let a: [f32; 6] = core::array::from_fn(|i| i as f32);
        let b: [f32; 12] = core::array::from_fn(|i| i as f32);
        let mut out = [0.0f32; 24];
        broadcast(
            &a,
            &[3, 1, 0],
            &b,
            &[0, 4, 1],
            &mut out,
            &[2, 3, 4],
            |x, y| x * 100.0 + y,
        );
        for i in 0..2 {
            for j in 0..3 {
                for k in 0..4 {
                    let want = (i * 3 + j) as f32 * 100.0 + (j * 4 + k) as f32;
                    assert_eq!(out[(i * 3 + j) * 4 + k], want);
                }
            }
        }
    }

    #[test]
    fn broadcast_every_inner_stride_combination() {
        let a: [i32; 16] = core::array::from_fn(|i| i as i32);
        let b: [i32; 16] = core::array::from_fn(|i| 100 * i as i32);
        for sa in 0..3 {
            for sb in 0..3 {
                let mut out = [0i32; 8];
                broadcast(&a, &[4, sa], &b, &[1, sb], &mut out, &[2, 4], |x, y| x + y);
                for r in 0..2 {
                    for c in 0..4 {
                        let want = a[r * 4 + c * sa] + b[r + c * sb];
                        assert_eq!(out[r * 4 + c], want, "sa={sa} sb={sb}");
                    }
                }
            }
        }
    }

    #[test]
    fn broadcast_merges_dims_without_changing_results() {
        // [1, 3, 2, 5] × [1, 3, 1, 1] (a squeeze-and-excite scale), and the swap.
        let a: [f32; 30] = core::array::from_fn(|i| i as f32);
        let b = [1.0f32, 10.0, 100.0];
        let mut out = [0.0f32; 30];
        broadcast(&a, &[30, 10, 5, 1], &b, &[0, 1, 0, 0], &mut out, &[1, 3, 2, 5], |x, y| x * y);
        for (i, o) in out.iter().enumerate() {
            assert_eq!(*o, a[i] * b[i / 10]);
        }
        broadcast(&b, &[0, 1, 0, 0], &a, &[30, 10, 5, 1], &mut out, &[1, 3, 2, 5], |x, y| x - y);
        for (i, o) in out.iter().enumerate() {
            assert_eq!(*o, b[i / 10] - a[i]);
        }
    }

    #[test]
    fn broadcast_scalar_and_comparison() {
        let mut out = [false; 4];
        broadcast(
            &[1.0f32, 5.0, 2.0, 7.0],
            &[1],
            &[3.0f32],
            &[0],
            &mut out,
            &[4],
            |x, y| x > y,
        );
        assert_eq!(out, [false, true, false, true]);
        let mut s = [0.0f32; 1];
        broadcast(&[2.0f32], &[], &[3.0f32], &[], &mut s, &[], |x, y| x * y);
        assert_eq!(s, [6.0]);
    }

    #[test]
    fn broadcast_short_input_does_not_panic() {
        let mut out = [0i32; 6];
        broadcast(
            &[1, 2],
            &[3, 1],
            &[10],
            &[0, 0],
            &mut out,
            &[2, 3],
            |x, y| x + y,
        );
        assert_eq!(out[..2], [11, 12]);
    }
}
