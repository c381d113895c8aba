//! Kernels called by Rust crates that etch generates from ExecuTorch programs.
//!
//! Every kernel takes plain slices and constant shapes, needs no allocator and
//! reproduces the arithmetic order of ExecuTorch's portable CPU kernels, so the
//! generated code gives the same bits as the reference runtime wherever the
//! math library agrees. Slices that are shorter than the shapes promise are
//! handled by working on the overlap instead of panicking.
#![no_std]

// For the unit tests, which check SIMD paths against portable ones, and for
// feature `threads`'s pool. CPU features are detected without std (`cpu`), so
// feature `std` changes no kernel.
#[cfg(any(test, feature = "threads"))]
extern crate std;

#[cfg(feature = "alloc")]
extern crate alloc;

/// Defines `fn $name(args)` that runs `$body(args)`: on x86_64, through a copy
/// of `$body` compiled with AVX2 when the CPU has it (`cpu::avx2`), so LLVM
/// can use 256-bit vectors for plain Rust loops. `$body` must be an
/// `#[inline(always)]` safe function returning `()`.
macro_rules! avx2_clone {
    (
        $(#[$meta:meta])*
        $vis:vis fn $name:ident $(<$($g:ident $(: $bound:path)?),+>)? ($($arg:ident: $ty:ty),* $(,)?) => $body:path
    ) => {
        $(#[$meta])*
        $vis fn $name $(<$($g $(: $bound)?),+>)? ($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if $crate::cpu::avx2() {
                #[target_feature(enable = "avx2")]
                #[allow(clippy::too_many_arguments)]
                unsafe fn avx2 $(<$($g $(: $bound)?),+>)? ($($arg: $ty),*) {
                    $body($($arg),*)
                }
                // SAFETY: AVX2 was detected on this CPU; the copy is safe code with no other requirement.
                unsafe { avx2($($arg),*) };
                return;
            }
            $body($($arg),*)
        }
    };
}

pub mod arena;
#[cfg(feature = "alloc")]
pub mod boxed;
pub mod cpu;
pub mod dynamic;
pub mod error;
#[cfg(feature = "ndarray")]
pub mod nd;
pub mod weights;

pub mod conv;
pub mod elementwise;
pub mod index;
pub mod matmul;
pub mod norm;
pub mod pool;
pub mod quant;
pub mod reduce;
pub mod shape;
pub mod spectral;
#[cfg(feature = "threads")]
pub mod threads;

#[cfg(feature = "macros")]
pub use etch_macros::include_model;

pub use error::Error;

/// Highest tensor rank ExecuTorch (and so the generated code) uses.
pub const MAX_RANK: usize = 8;

/// Deterministic pseudo-random data for the unit tests.
#[cfg(test)]
pub(crate) mod testutil {
    /// A tiny LCG; values are in [-1, 1).
    pub struct Lcg(pub u64);

    impl Lcg {
        pub fn next_f32(&mut self) -> f32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }

        pub fn fill(&mut self, xs: &mut [f32]) {
            xs.iter_mut().for_each(|x| *x = self.next_f32());
        }
    }

    /// Runs `f` on every path this CPU can take: as it dispatches (AVX-512
    /// where it has it), with AVX-512 turned off (AVX2), then with every
    /// dispatcher forced onto its portable path. Paths the CPU lacks are named
    /// on stderr as not run. `f` gets the path's name for its messages.
    pub fn each_path(mut f: impl FnMut(&str)) {
        #[cfg(target_arch = "x86_64")]
        let (wide, simd) = (crate::cpu::avx512(), crate::cpu::avx2_fma());
        #[cfg(target_arch = "wasm32")]
        let (wide, simd) = (false, crate::cpu::simd128());
        #[cfg(not(any(target_arch = "x86_64", target_arch = "wasm32")))]
        let (wide, simd) = (false, false);
        if wide {
            f("avx512");
        } else if cfg!(target_arch = "x86_64") {
            std::eprintln!("note: no AVX-512 on this CPU, the AVX-512 paths were not run");
        }
        if simd {
            let name = if cfg!(target_arch = "wasm32") { "simd128" } else { "avx2" };
            crate::cpu::no_avx512(|| f(name));
        } else {
            std::eprintln!("note: no SIMD on this CPU or build (AVX2 + FMA, or wasm simd128), the SIMD paths were not run");
        }
        crate::cpu::portable(|| f("portable"));
    }

    pub fn assert_close(got: &[f32], want: &[f32], tol: f32) {
        assert_eq!(got.len(), want.len(), "length mismatch");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let ok = (g - w).abs() <= tol * (1.0 + w.abs()) || (g.is_nan() && w.is_nan());
            assert!(ok, "index {i}: got {g}, want {w}");
        }
    }
}
