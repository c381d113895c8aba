//! mobilenet_v2 (or, with feature `int8`, mobilenet_v2_int8) as a wasm32
//! module with no imports. The page writes a normalized 3×224×224 image at
//! `input_ptr()`, calls `infer()` and reads 1000 logits at `logits_ptr()`.
//! The programs come from the zoo (`../build-mobilenet.sh` links them into
//! `models/`); the build splits the weights out of the module into a `.bin`
//! that the page fetches and writes back before the first call.
#![no_std]

use core::ptr::addr_of_mut;

#[cfg(not(feature = "int8"))]
etch_kernels::include_model!(mod net = "models/mobilenet_v2.pte");
#[cfg(feature = "int8")]
etch_kernels::include_model!(mod net = "models/mobilenet_v2_int8.pte");

const PIXELS: usize = 3 * 224 * 224;
const CLASSES: usize = 1000;

struct State {
    model: net::Model,
    input: [f32; PIXELS],
    logits: [f32; CLASSES],
}

static mut STATE: State = State {
    model: net::Model::new(),
    input: [0.0; PIXELS],
    logits: [0.0; CLASSES],
};

#[no_mangle]
pub extern "C" fn input_ptr() -> *mut f32 {
    // SAFETY: only the address is taken; no reference is made.
    unsafe { addr_of_mut!(STATE.input) }.cast()
}

#[no_mangle]
pub extern "C" fn logits_ptr() -> *const f32 {
    // SAFETY: only the address is taken; no reference is made.
    unsafe { addr_of_mut!(STATE.logits) }.cast()
}

/// Runs the model on the input; returns the top class.
#[no_mangle]
pub extern "C" fn infer() -> u32 {
    // SAFETY: this module has one thread and JS calls one export at a time,
    // so this is the only reference to STATE while it lives.
    let state = unsafe { &mut *addr_of_mut!(STATE) };
    state.logits = *state.model.forward(&state.input);
    let logits = &state.logits;
    (0..CLASSES).fold(0, |best, i| if logits[i] > logits[best] { i } else { best }) as u32
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
