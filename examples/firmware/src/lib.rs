//! The harness the firmware binaries share: runs a model on its cases,
//! compares with ExecuTorch's outputs, reports over semihosting and exits
//! with failure on any mismatch. No heap; floats are never formatted, so
//! core's float printing stays out of flash.
#![no_std]

use core::ptr::{addr_of_mut, read_volatile, write_volatile};

use cortex_m_semihosting::{debug, hprintln};

/// One call: the raw little-endian f32 input and ExecuTorch's output.
pub struct Case {
    pub input: &'static [u8],
    pub expected: &'static [u8],
}

/// A model's cases and tolerances, as build.rs writes them from the fixtures.
pub struct Cases {
    pub name: &'static str,
    pub atol: f32,
    pub rtol: f32,
    pub cases: &'static [Case],
}

/// The instruction-count plugin counts what runs between these two markers.
#[no_mangle]
#[inline(never)]
pub extern "C" fn bench_start() {
    core::hint::black_box(1u32);
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn bench_end() {
    core::hint::black_box(2u32);
}

/// Runs every case in order on one model, then exits qemu: success only if
/// every output element is within `atol + rtol * |expected|`.
pub fn run<const I: usize, const O: usize>(
    cases: &Cases,
    arena_bytes: usize,
    weight_bytes: usize,
    mut forward: impl FnMut(&[f32; I]) -> [f32; O],
) -> ! {
    paint_stack();
    let mut failed = 0;
    for (k, case) in cases.cases.iter().enumerate() {
        let Some(input) = floats::<I>(case.input) else {
            hprintln!(
                "{} case {}: the input has {} bytes, the model takes {}",
                cases.name,
                k,
                case.input.len(),
                4 * I
            );
            exit(false);
        };
        bench_start();
        let got = forward(core::hint::black_box(&input));
        bench_end();
        match check(&got, case.expected, cases.atol, cases.rtol) {
            Ok(()) => hprintln!("{} case {}: ok", cases.name, k),
            Err(i) => {
                failed += 1;
                hprintln!(
                    "{} case {}: MISMATCH at output element {} (bits {:#010x}, expected {:#010x})",
                    cases.name,
                    k,
                    i,
                    bits(&got, i),
                    bits_le(case.expected, i)
                );
            }
        }
    }
    let stack = stack_used();
    // run.sh reads this line.
    hprintln!(
        "{}: {}/{} cases pass; weights {} B, arena {} B, stack high-water {} B",
        cases.name,
        cases.cases.len() - failed,
        cases.cases.len(),
        weight_bytes,
        arena_bytes,
        stack
    );
    exit(failed == 0)
}

/// The index of the first element out of tolerance (or a length mismatch).
fn check<const O: usize>(
    got: &[f32; O],
    expected: &[u8],
    atol: f32,
    rtol: f32,
) -> Result<(), usize> {
    let expected = floats::<O>(expected).ok_or(0usize)?;
    for (i, (&g, &e)) in got.iter().zip(&expected).enumerate() {
        let same = g == e || (g.is_nan() && e.is_nan());
        // NaN errors fail: the comparison is false.
        if !same && !((g - e).abs() <= atol + rtol * e.abs()) {
            return Err(i);
        }
    }
    Ok(())
}

fn floats<const N: usize>(bytes: &[u8]) -> Option<[f32; N]> {
    if bytes.len() != 4 * N {
        return None;
    }
    let mut out = [0f32; N];
    for (v, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *v = f32::from_le_bytes(b.try_into().ok()?);
    }
    Some(out)
}

fn bits(xs: &[f32], i: usize) -> u32 {
    xs.get(i).map_or(0, |x| x.to_bits())
}

fn bits_le(bytes: &[u8], i: usize) -> u32 {
    bytes
        .get(4 * i..4 * i + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn exit(pass: bool) -> ! {
    debug::exit(if pass {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    // Only reached without a debugger attached.
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    hprintln!("panic");
    exit(false)
}

// A fault fails the run at once instead of spinning until run.sh's timeout.
#[cortex_m_rt::exception]
unsafe fn HardFault(_: &cortex_m_rt::ExceptionFrame) -> ! {
    hprintln!("hard fault");
    exit(false)
}

// Stack measurement: fill the free stack with a pattern, later find the
// lowest word that changed.
const PAINT: u32 = 0xC5AC_CE55;
/// Left unpainted below the painter's own stack pointer.
const MARGIN: usize = 256;

extern "C" {
    // From cortex-m-rt's link.x: the stack's lowest address (4-aligned, above
    // every static) and the initial stack pointer.
    static mut _stack_end: u32;
    static mut _stack_start: u32;
}

fn stack_bounds() -> (*mut u32, *mut u32) {
    (addr_of_mut!(_stack_end), addr_of_mut!(_stack_start))
}

#[inline(never)]
fn paint_stack() {
    let (bottom, _) = stack_bounds();
    let limit = cortex_m::register::msp::read() as usize - MARGIN;
    let mut p = bottom;
    while (p as usize) < limit {
        // SAFETY: [_stack_end, sp - MARGIN) is aligned RAM that no static and no live frame uses.
        unsafe { write_volatile(p, PAINT) };
        p = p.wrapping_add(1);
    }
}

/// Bytes from the top of RAM down to the deepest word that lost the pattern
/// (an upper bound when the deepest use fell into the unpainted margin).
fn stack_used() -> usize {
    let (bottom, top) = stack_bounds();
    let mut p = bottom;
    // SAFETY: p stays within [_stack_end, _stack_start), aligned RAM that is always readable.
    while p < top && unsafe { read_volatile(p) } == PAINT {
        p = p.wrapping_add(1);
    }
    top as usize - p as usize
}
