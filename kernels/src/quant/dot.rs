//! Exact int8 dot products. On Cortex-M cores with the DSP extension
//! (ARMv7E-M: M4, M7, M33) one word holds four int8 values: SXTB16 sign-extends
//! two of them into the halves of a register, and SMLAD multiplies both halves
//! and adds them to the sum, so four multiply-adds take two of each. Elsewhere
//! (thumbv7m, thumbv6m, the host) plain multiply-adds. Both give the same i32.

/// `Σ a[i] · b[i]` over the shorter length, exact in i32.
#[inline(always)]
pub fn dot(a: &[i8], b: &[i8]) -> i32 {
    #[cfg(all(target_arch = "arm", target_feature = "dsp"))]
    return dsp::dot(a, b);
    #[cfg(not(all(target_arch = "arm", target_feature = "dsp")))]
    portable(a, b)
}

/// The reference: one multiply-add per element.
#[inline(always)]
pub fn portable(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| i32::from(x) * i32::from(y)).sum()
}

#[cfg(all(target_arch = "arm", target_feature = "dsp"))]
pub mod dsp {
    use core::arch::asm;

    /// Bytes 0 and 2 of `x`, sign-extended into the low and high halves.
    #[inline(always)]
    fn sxtb16(x: u32) -> u32 {
        let r;
        // SAFETY: a register-only DSP instruction, present on every core this is built for (`target_feature = "dsp"`).
        unsafe { asm!("sxtb16 {r}, {x}", r = lateout(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags)) };
        r
    }

    /// Bytes 1 and 3 of `x`, sign-extended into the low and high halves.
    #[inline(always)]
    fn sxtb16_ror8(x: u32) -> u32 {
        let r;
        // SAFETY: as for `sxtb16`.
        unsafe { asm!("sxtb16 {r}, {x}, ror #8", r = lateout(reg) r, x = in(reg) x, options(pure, nomem, nostack, preserves_flags)) };
        r
    }

    /// `acc + lo(a)·lo(b) + hi(a)·hi(b)` over signed halves. The sum only sets
    /// the Q flag on overflow, which int8 sums of any slice that fits in memory never reach.
    #[inline(always)]
    fn smlad(a: u32, b: u32, acc: i32) -> i32 {
        let r;
        // SAFETY: as for `sxtb16`; SMLAD writes the Q flag, which nothing reads.
        unsafe { asm!("smlad {r}, {a}, {b}, {acc}", r = lateout(reg) r, a = in(reg) a, b = in(reg) b, acc = in(reg) acc, options(pure, nomem, nostack)) };
        r
    }

    #[inline(always)]
    fn word(x: &[i8; 4]) -> u32 {
        u32::from_le_bytes(x.map(|v| v as u8))
    }

    /// Four products per step: two SXTB16 per operand, two SMLAD.
    #[inline(always)]
    pub fn dot(a: &[i8], b: &[i8]) -> i32 {
        let n = a.len().min(b.len());
        let (a4, ar) = a[..n].as_chunks::<4>();
        let (b4, br) = b[..n].as_chunks::<4>();
        let mut acc = 0i32;
        for (x, y) in a4.iter().zip(b4) {
            let (x, y) = (word(x), word(y));
            acc = smlad(sxtb16(x), sxtb16(y), acc);
            acc = smlad(sxtb16_ror8(x), sxtb16_ror8(y), acc);
        }
        acc + super::portable(ar, br)
    }
}
