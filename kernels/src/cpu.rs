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
//! Tests can run any dispatcher on its portable path with [`portable`].

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::sync::atomic::{AtomicU8, Ordering};

    /// Set once the bits below are filled in.
    const KNOWN: u8 = 1;
    pub const AVX2: u8 = 2;
    pub const FMA: u8 = 4;
    /// AVX-512 VNNI with VL (`vpdpbusd` on ymm registers), AVX2 too, and an OS that saves ZMM state.
    pub const VNNI: u8 = 8;

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
        // AVX-512 F, VL (EBX bits 16, 31) and VNNI (ECX bit 11); XCR0 bits 5-7: opmask and ZMM state.
        let vnni = avx2 && l7.ebx & 1 << 16 != 0 && l7.ebx & 1 << 31 != 0 && l7.ecx & 1 << 11 != 0 && xcr0 & 0xe0 == 0xe0;
        (if avx2 { AVX2 } else { 0 }) | (if fma { FMA } else { 0 }) | (if vnni { VNNI } else { 0 })
    }
}

#[cfg(test)]
std::thread_local! {
    static PORTABLE: core::cell::Cell<bool> = const { core::cell::Cell::new(false) };
}

/// Runs `f` with every SIMD check on this thread answering `false`, so each
/// dispatcher takes its portable path: what the tests compare the SIMD paths with.
#[cfg(test)]
pub(crate) fn portable<R>(f: impl FnOnce() -> R) -> R {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            PORTABLE.with(|p| p.set(self.0));
        }
    }
    let _reset = Reset(PORTABLE.with(|p| p.replace(true)));
    f()
}

#[cfg(all(test, target_arch = "x86_64"))]
#[inline]
fn forced_portable() -> bool {
    PORTABLE.with(core::cell::Cell::get)
}

#[cfg(all(not(test), target_arch = "x86_64"))]
#[inline(always)]
fn forced_portable() -> bool {
    false
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

/// True when the AVX-512 VNNI paths (256-bit `vpdpbusd`, with AVX2) may run.
#[cfg(target_arch = "x86_64")]
#[inline]
pub fn avx512vnni() -> bool {
    if forced_portable() {
        return false;
    }
    let on = cfg!(all(target_feature = "avx2", target_feature = "avx512f", target_feature = "avx512vl", target_feature = "avx512vnni"));
    on || x86::features() & x86::VNNI != 0
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_std_detection() {
        assert_eq!(avx2(), std::is_x86_feature_detected!("avx2"));
        assert_eq!(avx2_fma(), std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"));
        let vnni = ["avx2", "avx512f", "avx512vl", "avx512vnni"].map(|f| match f {
            "avx2" => std::is_x86_feature_detected!("avx2"),
            "avx512f" => std::is_x86_feature_detected!("avx512f"),
            "avx512vl" => std::is_x86_feature_detected!("avx512vl"),
            _ => std::is_x86_feature_detected!("avx512vnni"),
        });
        assert_eq!(avx512vnni(), vnni.iter().all(|&b| b));
    }

    #[test]
    fn portable_turns_every_check_off_on_this_thread_only() {
        let before = (avx2(), avx2_fma());
        portable(|| {
            assert!(!avx2() && !avx2_fma());
            let other = std::thread::spawn(|| (avx2(), avx2_fma())).join().unwrap();
            assert_eq!(other, before);
        });
        assert_eq!((avx2(), avx2_fma()), before);
    }
}
