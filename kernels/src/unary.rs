//! Elementwise map over a contiguous buffer.

/// `out[i] = f(x[i])` over the common length.
#[inline]
pub fn map<T: Copy, U>(x: &[T], out: &mut [U], f: impl Fn(T) -> U) {
    #[cfg(all(target_arch = "x86_64", feature = "std"))]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 was detected on this CPU; the function has no other requirement.
        unsafe { map_avx2(x, out, f) };
        return;
    }
    map_plain(x, out, f);
}

/// The same loop with 8-lane vectors (fused maps are the elementwise part of
/// a model). The same operations per element, so the same results.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[target_feature(enable = "avx2")]
unsafe fn map_avx2<T: Copy, U>(x: &[T], out: &mut [U], f: impl Fn(T) -> U) {
    map_plain(x, out, f);
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
        map(&x, &mut y, crate::math::relu);
        assert_eq!(y, [1.0, 0.0, 3.5]);
    }

    #[test]
    fn short_output_is_not_a_panic() {
        let mut out = [0.0f32; 2];
        map(&[1.0f32, 2.0, 3.0], &mut out, |v| v + 1.0);
        assert_eq!(out, [2.0, 3.0]);
    }
}
