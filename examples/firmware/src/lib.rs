//! The harness the firmware binaries share: runs a model on its cases,
//! compares with ExecuTorch's outputs, reports over semihosting and exits
//! with failure on any mismatch. No heap; floats are never formatted, so
//! core's float printing stays out of flash.
#![no_std]

use core::ptr::{addr_of_mut, read_volatile, write_volatile};

use cortex_m_semihosting::{debug, hprintln};

/// One call: the input (raw little-endian f32, or int8 codes for a model fed
/// through its int8 entry point) and ExecuTorch's output.
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

/// A compiled model as the harness drives it.
pub trait Infer {
    /// Puts a case's input where the model reads it; false if its length is wrong.
    fn load(&mut self, input: &'static [u8]) -> bool;
    /// One inference on the loaded input.
    fn infer(&mut self) -> &[f32];
}

/// An f32 model: the caller's input lives in a static buffer, as an app's would.
pub struct F32<M: 'static, const I: usize, const O: usize> {
    pub model: &'static mut M,
    pub input: &'static mut [f32; I],
    pub forward: for<'a, 'b> fn(&'a mut M, &'b [f32; I]) -> &'a [f32; O],
}

impl<M, const I: usize, const O: usize> Infer for F32<M, I, O> {
    fn load(&mut self, input: &'static [u8]) -> bool {
        if input.len() != 4 * I {
            return false;
        }
        for (v, b) in self.input.iter_mut().zip(input.chunks_exact(4)) {
            *v = le(b);
        }
        true
    }
    fn infer(&mut self) -> &[f32] {
        (self.forward)(self.model, self.input)
    }
}

/// An int8 model fed through its int8 entry point: the input is written
/// straight into the model's arena, and no f32 input exists anywhere.
pub struct Int8<M: 'static, const I: usize, const O: usize> {
    pub model: &'static mut M,
    pub input: fn(&mut M) -> &mut [i8; I],
    pub forward: fn(&mut M) -> &[f32; O],
}

impl<M, const I: usize, const O: usize> Infer for Int8<M, I, O> {
    fn load(&mut self, input: &'static [u8]) -> bool {
        if input.len() != I {
            return false;
        }
        for (q, &b) in (self.input)(self.model).iter_mut().zip(input) {
            *q = b as i8;
        }
        true
    }
    fn infer(&mut self) -> &[f32] {
        (self.forward)(self.model)
    }
}

/// An int8 model that takes its input row by row (`<method>_i8_rows`), as a
/// camera hands it over: each row is cut from the case's int8 codes (channels
/// first, in flash), so only the rows in flight are ever in RAM, in the arena.
pub struct Int8Rows<M: 'static, const C: usize, const H: usize, const W: usize, const R: usize, const O: usize> {
    pub model: &'static mut M,
    pub forward: for<'a, 'b> fn(&'a mut M, &'b mut dyn FnMut(usize, &mut [i8; R])) -> &'a [f32; O],
    pub input: &'static [u8],
}

impl<M, const C: usize, const H: usize, const W: usize, const R: usize, const O: usize> Infer
    for Int8Rows<M, C, H, W, R, O>
{
    fn load(&mut self, input: &'static [u8]) -> bool {
        self.input = input;
        input.len() == C * H * W && R == W * C
    }
    fn infer(&mut self) -> &[f32] {
        let input = self.input;
        let mut rows = |y: usize, row: &mut [i8; R]| {
            for (k, q) in row.iter_mut().enumerate() {
                *q = input.get((k % C * H + y) * W + k / C).map_or(0, |&b| b as i8);
            }
        };
        (self.forward)(self.model, &mut rows)
    }
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
pub fn run(cases: &Cases, arena_bytes: usize, weight_bytes: usize, model: &mut dyn Infer) -> ! {
    let mut failed = 0;
    let mut stack = 0;
    let mut data = 0;
    for (k, case) in cases.cases.iter().enumerate() {
        data += case.input.len() + case.expected.len();
        if !model.load(case.input) {
            hprintln!("{} case {}: the input has {} bytes, not what the model takes", cases.name, k, case.input.len());
            exit(false);
        }
        // The stack the inference takes, with the frames above it; printing is not counted.
        paint_stack();
        bench_start();
        let got = model.infer();
        bench_end();
        stack = stack.max(stack_used());
        match check(core::hint::black_box(got), case.expected, cases.atol, cases.rtol) {
            Ok(()) => hprintln!("{} case {}: ok", cases.name, k),
            Err(i) => {
                failed += 1;
                hprintln!(
                    "{} case {}: MISMATCH at output element {} (bits {:#010x}, expected {:#010x})",
                    cases.name,
                    k,
                    i,
                    bits(got, i),
                    bits_le(case.expected, i)
                );
            }
        }
    }
    // run.sh reads this line.
    hprintln!(
        "{}: {}/{} cases pass; weights {} B, arena {} B, stack high-water {} B, test data {} B",
        cases.name,
        cases.cases.len() - failed,
        cases.cases.len(),
        weight_bytes,
        arena_bytes,
        stack,
        data
    );
    exit(failed == 0)
}

/// The index of the first element out of tolerance (or a length mismatch).
fn check(got: &[f32], expected: &[u8], atol: f32, rtol: f32) -> Result<(), usize> {
    if expected.len() != 4 * got.len() {
        return Err(0);
    }
    for (i, (&g, e)) in got.iter().zip(expected.chunks_exact(4)).enumerate() {
        let e = le(e);
        let same = g == e || (g.is_nan() && e.is_nan());
        // NaN errors fail: the comparison is false.
        if !same && !((g - e).abs() <= atol + rtol * e.abs()) {
            return Err(i);
        }
    }
    Ok(())
}

/// Four little-endian bytes as an f32 (`chunks_exact(4)` always gives four).
fn le(b: &[u8]) -> f32 {
    b.try_into().map_or(f32::NAN, f32::from_le_bytes)
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
