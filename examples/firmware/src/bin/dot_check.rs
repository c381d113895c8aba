//! The int8 dot product the Cortex-M kernels use (SXTB16/SMLAD where the core
//! has the DSP extension) against the one-multiply-add-per-element reference,
//! on pseudo-random vectors of every length up to 67 and at the int8 extremes.
//! Exits qemu with failure on the first difference.
#![no_std]
#![no_main]

use cortex_m_semihosting::{debug, hprintln};
use firmware as _;
use etch_kernels::quant::dot::{dot, portable};

#[cortex_m_rt::entry]
fn main() -> ! {
    let mut seed = 0x9e37_79b9u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        (seed >> 24) as i8
    };
    let (mut a, mut b) = ([0i8; 67], [0i8; 67]);
    let mut checked = 0u32;
    for round in 0..64 {
        for (x, y) in a.iter_mut().zip(b.iter_mut()) {
            (*x, *y) = match round {
                0 => (-128, -128),
                1 => (-128, 127),
                _ => (next(), next()),
            };
        }
        for n in 0..=a.len() {
            // Unaligned starts too: the kernels read words from any offset.
            for start in 0..4.min(n + 1) {
                let (x, y) = (&a[start..n], &b[..n - start]);
                let (got, want) = (dot(core::hint::black_box(x), y), portable(x, y));
                if got != want {
                    hprintln!("dot_check: length {} at offset {}: {} != {}", n - start, start, got, want);
                    debug::exit(debug::EXIT_FAILURE);
                }
                checked += 1;
            }
        }
    }
    hprintln!("dot_check: {} dot products equal the reference (dsp: {})", checked, cfg!(target_feature = "dsp"));
    debug::exit(debug::EXIT_SUCCESS);
    loop {
        cortex_m::asm::wfi();
    }
}
