//! Models too big for the stack, allocated zeroed straight on the heap.

use alloc::alloc::{alloc_zeroed, handle_alloc_error, Layout};
use alloc::boxed::Box;
use core::ptr::NonNull;

/// A `T` whose bytes are all zero, allocated in place: it never passes
/// through the stack, however big it is.
///
/// # Safety
/// All-zero bytes must be a valid `T`: true of a struct of arrays of floats,
/// integers and bools, as every generated `Model` is.
pub unsafe fn zeroed<T>() -> Box<T> {
    let layout = Layout::new::<T>();
    if layout.size() == 0 {
        // SAFETY: a zero-sized `T` needs no memory; `Box` takes a dangling, aligned pointer for it.
        return unsafe { Box::from_raw(NonNull::<T>::dangling().as_ptr()) };
    }
    // SAFETY: the layout's size is not zero.
    let ptr = unsafe { alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        handle_alloc_error(layout);
    }
    // SAFETY: `ptr` comes from the global allocator with `T`'s layout, and the
    // caller guarantees that its zeroed bytes are a valid `T`.
    unsafe { Box::from_raw(ptr) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn zeroed_boxes() {
        // SAFETY: zeroed bytes are a valid array of f32, and a valid `()`.
        let (big, unit) = unsafe { (super::zeroed::<[f32; 1 << 20]>(), super::zeroed::<()>()) };
        assert!(big.iter().all(|&x| x == 0.0));
        assert_eq!(*unit, ());
    }
}
