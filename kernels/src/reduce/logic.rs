//! Boolean reductions.

/// `any` over the middle dim of `x` viewed as `[outer, reduce, inner]`:
/// `out[o, i]` is true when some `truthy(x[o, r, i])` is.
pub fn any_axis<T: Copy>(
    x: &[T],
    out: &mut [bool],
    outer: usize,
    reduce: usize,
    inner: usize,
    truthy: impl Fn(T) -> bool,
) {
    if inner == 0 {
        return;
    }
    let block = reduce * inner;
    for (o, row) in out.chunks_exact_mut(inner).take(outer).enumerate() {
        row.fill(false);
        let xs = x.get(o * block..).unwrap_or(&[]);
        for x_row in xs.chunks_exact(inner).take(reduce) {
            row.iter_mut()
                .zip(x_row)
                .for_each(|(acc, &v)| *acc = *acc || truthy(v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_over_each_axis() {
        // x [2, 3] of bools.
        let x = [false, true, false, false, false, false];
        let mut rows = [true; 2];
        any_axis(&x, &mut rows, 2, 3, 1, |v| v);
        assert_eq!(rows, [true, false]);
        let mut cols = [true; 3];
        any_axis(&x, &mut cols, 1, 2, 3, |v| v);
        assert_eq!(cols, [false, true, false]);
        let mut all = [false; 1];
        any_axis(&[0.0f32, -0.0, 2.5], &mut all, 1, 3, 1, |v| v != 0.0);
        assert_eq!(all, [true]);
        any_axis(&[0.0f32, -0.0], &mut all, 1, 2, 1, |v| v != 0.0);
        assert_eq!(all, [false]);
    }
}
