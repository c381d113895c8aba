//! Elementwise map over a contiguous buffer.

/// `out[i] = f(x[i])` over the common length. Fused maps are the elementwise
/// part of a model, so they get the AVX2 copy too; same operations per element.
/// With feature `threads`, long ones split into ranges across the pool.
#[inline]
pub fn map<T: Copy + Sync, U: Send, F: Fn(T) -> U + Sync>(x: &[T], out: &mut [U], f: F) {
    #[cfg(feature = "threads")]
    if split(x, out, &f) {
        return;
    }
    map_one(x, out, f);
}

/// Maps at least this long are split across threads.
#[cfg(feature = "threads")]
const SPLIT_MIN: usize = 1 << 16;

/// With feature `threads` and more than one thread: one range a thread as parts
/// of one `threads::run`; false, with nothing done, for a short map.
#[cfg(feature = "threads")]
fn split<T: Copy + Sync, U: Send, F: Fn(T) -> U + Sync>(x: &[T], out: &mut [U], f: &F) -> bool {
    let (t, n) = (crate::threads::get(), out.len().min(x.len()));
    if t < 2 || n < SPLIT_MIN {
        return false;
    }
    // Ranges of whole cache lines of f32 where the type is one.
    let split = crate::threads::Split::new(n, t, 16);
    crate::threads::bands(out, split, 1, &|(a, b), o| map_one(x.get(a..b).unwrap_or(&[]), o, f));
    true
}

avx2_clone! {
    /// `map` on the calling thread.
    #[inline]
    fn map_one<T: Copy, U>(x: &[T], out: &mut [U], f: impl Fn(T) -> U) => map_plain
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
