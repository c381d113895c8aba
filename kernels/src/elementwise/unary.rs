//! Elementwise map over a contiguous buffer.

avx2_clone! {
    /// `out[i] = f(x[i])` over the common length. Fused maps are the elementwise
    /// part of a model, so they get the AVX2 copy too; same operations per element.
    #[inline]
    pub fn map<T: Copy, U>(x: &[T], out: &mut [U], f: impl Fn(T) -> U) => map_plain
}

#[inline(always)]
fn map_plain<T: Copy, U>(x: &[T], out: &mut [U], f: impl Fn(T) -> U) {
    out.iter_mut().zip(x).for_each(|(o, &v)| *o = f(v));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_converts() {
        let x = [1.0f32, -2.0, 3.5];
        let mut out = [0i32; 3];
        map(&x, &mut out, |v| (v * 2.0) as i32);
        assert_eq!(out, [2, -4, 7]);
        let mut y = [0.0f32; 3];
        map(&x, &mut y, crate::elementwise::math::relu);
        assert_eq!(y, [1.0, 0.0, 3.5]);
    }

    #[test]
    fn short_output_is_not_a_panic() {
        let mut out = [0.0f32; 2];
        map(&[1.0f32, 2.0, 3.0], &mut out, |v| v + 1.0);
        assert_eq!(out, [2.0, 3.0]);
    }
}
