//! Typed views into one aligned, read-only weight blob.

/// Element types a weight may have: every bit pattern is a valid value.
pub trait Pod: Copy + private::Sealed {}

mod private {
    pub trait Sealed {}
}

macro_rules! pod {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl Pod for $t {}
    )*};
}
pod!(f32, f64, i64, i32, i16, i8, u8);

/// The weight bytes, aligned so every typed view is aligned too.
#[repr(C, align(16))]
pub struct Blob<const B: usize>(pub [u8; B]);

impl<const B: usize> Blob<B> {
    /// `N` elements of `T` starting at byte `O`.
    pub const fn view<T: Pod, const O: usize, const N: usize>(&'static self) -> &'static [T; N] {
        const {
            assert!(O.is_multiple_of(core::mem::align_of::<T>()), "misaligned weight");
            assert!(O + N * core::mem::size_of::<T>() <= B, "weight exceeds the blob");
        };
        // SAFETY: the blob is 16-byte aligned and `O` is a multiple of T's
        // alignment (checked above, and T's alignment divides 16), the window
        // lies inside the blob (checked above), every bit pattern is a valid
        // `T` (Pod), and the blob is immutable and 'static.
        unsafe { &*self.0.as_ptr().add(O).cast::<[T; N]>() }
    }

    /// `N` bools starting at byte `O`. Not every byte is a bool, so each is
    /// checked to be 0 or 1; in a `static` that check runs at compile time.
    pub const fn view_bool<const O: usize, const N: usize>(&'static self) -> &'static [bool; N] {
        const { assert!(O + N <= B, "weight exceeds the blob") };
        let mut i = 0;
        while i < N {
            assert!(self.0[O + i] <= 1, "a bool weight is neither 0 nor 1");
            i += 1;
        }
        // SAFETY: bool has size and alignment 1, every byte of the window is
        // 0 or 1 (checked above), the window lies inside the blob (checked
        // above), and the blob is immutable and 'static.
        unsafe { &*self.0.as_ptr().add(O).cast::<[bool; N]>() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate std;

    static BLOB: Blob<12> = Blob([0, 0, 128, 63, 0, 0, 0, 64, 7, 0, 0, 0]);

    #[test]
    fn views_decode_little_endian() {
        let f: &[f32; 2] = BLOB.view::<f32, 0, 2>();
        assert_eq!(f, &[1.0, 2.0]);
        let i: &[i32; 1] = BLOB.view::<i32, 8, 1>();
        assert_eq!(i, &[7]);
    }

    static FLAGS: Blob<4> = Blob([1, 0, 1, 2]);
    static CHECKED: &[bool; 3] = FLAGS.view_bool::<0, 3>();

    #[test]
    fn bool_views_check_every_byte() {
        assert_eq!(CHECKED, &[true, false, true]);
        // Seeing the panic needs unwinding (the wasm32 test build aborts).
        #[cfg(panic = "unwind")]
        {
            let bad = std::panic::catch_unwind(|| FLAGS.view_bool::<1, 3>().len());
            assert!(bad.is_err(), "the byte 2 was taken for a bool");
        }
    }
}
