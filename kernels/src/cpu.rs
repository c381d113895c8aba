//! Which SIMD paths this CPU can take, found at run time with `core` alone.
//!
//! `std::is_x86_feature_detected!` needs std; this module reads CPUID itself,
//! so a `no_std` build picks the same paths as a `std` one. A path needs both
//! the instructions (CPUID) and an operating system that saves their registers
//! on a context switch (`XGETBV`, once CPUID says the OS enabled it). The answer
//! is computed once and cached in an atomic; a race only computes it twice.
//!
//! When the crate is compiled with the features on (`-C target-cpu=native`, or a
//! target whose baseline has them), each check is the constant `true`.
//!
//! Tests can run any dispatcher on its portable path with [`portable`], or on
//! its AVX2 path on a CPU that has AVX-512 with [`no_avx512`].

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::sync::atomic::{AtomicU8, Ordering};

    /// Set once the bits below are filled in.
    const KNOWN: u8 = 1;
    pub const AVX2: u8 = 2;
    pub const FMA: u8 = 4;
    /// AVX-512 F, BW, DQ and VL, with the OS saving the ZMM and mask registers.
    pub const AVX512: u8 = 8;
    /// AVX-512 VNNI (`vpdpbusd`), with `AVX512`.
    pub const VNNI: u8 = 16;

    static FEATURES: AtomicU8 = AtomicU8::new(0);

    /// The feature bits, read from CPUID the first time.
    #[inline]
    pub fn features() -> u8 {
        let f = FEATURES.load(Ordering::Relaxed);
        if f & KNOWN != 0 {
            return f;
        }
        let f = detect() | KNOWN;
        FEATURES.store(f, Ordering::Relaxed);
        f
    }

    #[cold]
    fn detect() -> u8 {
        use core::arch::x86_64::{__cpuid, __cpuid_count, _xgetbv};
        // SAFETY: CPUID exists on every x86_64 CPU. (The intrinsic is a safe fn
        // on newer compilers, hence the allow.)
        #[allow(unused_unsafe)]
        let max_leaf = unsafe { __cpuid(0) }.eax;
        if max_leaf < 7 {
            return 0;
        }
        // SAFETY: as above; leaves 1 and 7 exist, as leaf 0 reported.
        #[allow(unused_unsafe)]
        let (l1, l7) = unsafe { (__cpuid(1), __cpuid_count(7, 0)) };
        let (osxsave, avx, fma) = (l1.ecx & 1 << 27 != 0, l1.ecx & 1 << 28 != 0, l1.ecx & 1 << 12 != 0);
        let avx2 = l7.ebx & 1 << 5 != 0;
        if !(osxsave && avx) {
            return 0;
        }
        // SAFETY: CPUID's OSXSAVE bit says the OS set CR4.OSXSAVE, which makes
        // XGETBV available; register 0 (XCR0) always exists.
        let xcr0 = unsafe { _xgetbv(0) };
        // Bits 1 and 2: the OS saves the XMM and YMM registers.
        if xcr0 & 0b110 != 0b110 {
            return 0;
        }
        let mut f = (if avx2 { AVX2 } else { 0 }) | (if fma { FMA } else { 0 });
        // EBX bits 16 (F), 17 (DQ), 30 (BW), 31 (VL); ECX bit 11 (VNNI).
        let avx512 = l7.ebx & 0xc003_0000 == 0xc003_0000;
        // XCR0 bits 5–7: the OS saves the mask registers and all 32 ZMM registers.
        if avx512 && avx2 && fma && xcr0 & 0xe0 == 0xe0 {
            f |= AVX512;
            if l7.ecx & 1 << 11 != 0 {
                f |= VNNI;
            }
        }
        f
    }
}

/// How far the checks on this thread may answer `true` (test builds only).
#[cfg(test)]
#[derive(Clone, Copy, PartialEq, PartialOrd)]
pub(crate) enum Cap {
    Portable,
    Avx2,
    All,
}

#[cfg(test)]
std::thread_local! {
    static CAP: core::cell::Cell<Cap> = const { core::cell::Cell::new(Cap::All) };
}

/// This thread's cap, for `threads::run` to hand to its workers.
#[cfg(all(test, feature = "threads"))]
pub(crate) fn cap() -> Cap {
    CAP.with(core::cell::Cell::get)
}

/// Runs `f` under `cap` (from [`cap`]) on this thread.
#[cfg(all(test, feature = "threads"))]
pub(crate) fn with_cap<R>(cap: Cap, f: impl FnOnce() -> R) -> R {
    capped(cap, f)
}

#[cfg(test)]
fn capped<R>(cap: Cap, f: impl FnOnce() -> R) -> R {
    struct Reset(Cap);
    impl Drop for Reset {
        fn drop(&mut self) {
            CAP.with(|c| c.set(self.0));
        }
    }
    let _reset = Reset(CAP.with(|c| c.replace(cap)));
    f()
}

/// Runs `f` with every SIMD check on this thread answering `false`, so each
/// dispatcher takes its portable path: what the tests compare the SIMD paths with.
#[cfg(test)]
pub(crate) fn portable<R>(f: impl FnOnce() -> R) -> R {
    capped(Cap::Portable, f)
}

/// Runs `f` with the AVX-512 checks on this thread answering `false`, so a CPU
/// that has AVX-512 also tests the AVX2 paths.
#[cfg(test)]
pub(crate) fn no_avx512<R>(f: impl FnOnce() -> R) -> R {
    capped(Cap::Avx2, f)
}

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "wasm32")))]
#[inline]
fn allowed(level: Cap) -> bool {
    CAP.with(core::cell::Cell::get) >= level
}

#[cfg(all(not(test), any(target_arch = "x86_64", target_arch = "wasm32")))]
#[inline(always)]
fn forced_portable() -> bool {
    false
}

#[cfg(all(test, any(target_arch = "x86_64", target_arch = "wasm32")))]
#[inline]
fn forced_portable() -> bool {
    !allowed(Cap::Avx2)
}

#[cfg(all(not(test), target_arch = "x86_64"))]
#[inline(always)]
fn no_wide() -> bool {
    false
}

#[cfg(all(test, target_arch = "x86_64"))]
#[inline]
fn no_wide() -> bool {
    !allowed(Cap::All)
}

/// True when the AVX2 paths may run: the CPU has AVX2 and the OS saves YMM registers.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn avx2() -> bool {
    if forced_portable() {
        return false;
    }
    cfg!(target_feature = "avx2") || x86::features() & x86::AVX2 != 0
}

/// True when the AVX2 + FMA paths may run.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn avx2_fma() -> bool {
    if forced_portable() {
        return false;
    }
    let both = x86::AVX2 | x86::FMA;
    cfg!(all(target_feature = "avx2", target_feature = "fma")) || x86::features() & both == both
}

/// True when the AVX-512 paths may run: F, BW, DQ and VL (and AVX2 + FMA),
/// with the OS saving the ZMM and mask registers.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn avx512() -> bool {
    if forced_portable() || no_wide() {
        return false;
    }
    let all = cfg!(all(
        target_feature = "avx512f",
        target_feature = "avx512bw",
        target_feature = "avx512dq",
        target_feature = "avx512vl",
        target_feature = "avx2",
        target_feature = "fma"
    ));
    all || x86::features() & x86::AVX512 != 0
}

/// True when the AVX-512 VNNI paths may run (`avx512` and `vpdpbusd`).
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn avx512_vnni() -> bool {
    if !avx512() {
        return false;
    }
    cfg!(target_feature = "avx512vnni") || x86::features() & x86::VNNI != 0
}

/// True when the wasm SIMD128 paths run. wasm has no run-time detection: they
/// are compiled in with `-C target-feature=+simd128` (an engine without SIMD
/// rejects such a module whole), so outside tests this is a constant.
#[cfg(target_arch = "wasm32")]
#[inline(always)]
pub fn simd128() -> bool {
    cfg!(target_feature = "simd128") && !forced_portable()
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_std_detection() {
        assert_eq!(avx2(), std::is_x86_feature_detected!("avx2"));
        assert_eq!(avx2_fma(), std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"));
        let wide = std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl")
            && avx2_fma();
        assert_eq!(avx512(), wide);
        assert_eq!(avx512_vnni(), wide && std::is_x86_feature_detected!("avx512vnni"));
    }

    #[test]
    fn no_avx512_keeps_avx2() {
        let before = (avx2(), avx2_fma());
        no_avx512(|| {
            assert!(!avx512() && !avx512_vnni());
            assert_eq!((avx2(), avx2_fma()), before);
        });
    }

    #[test]
    fn portable_turns_every_check_off_on_this_thread_only() {
        let before = (avx2(), avx2_fma());
        portable(|| {
            assert!(!avx2() && !avx2_fma() && !avx512() && !avx512_vnni());
            let other = std::thread::spawn(|| (avx2(), avx2_fma())).join().unwrap();
            assert_eq!(other, before);
        });
        assert_eq!((avx2(), avx2_fma()), before);
    }
}
