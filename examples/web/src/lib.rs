//! digits_cnn as a wasm32 module with no imports. The page writes 64 pixels
//! (0 = paper, 1 = ink) at `input_ptr()`, calls `infer()` and reads 10 logits
//! at `logits_ptr()`.
#![no_std]

use core::ptr::addr_of_mut;

etch_kernels::include_model!(mod digits = "../../tests/fixtures/digits_cnn/model.pte");

struct State {
    model: digits::Model,
    input: [f32; 64],
    logits: [f32; 10],
}

static mut STATE: State = State {
    model: digits::Model::new(),
    input: [0.0; 64],
    logits: [0.0; 10],
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

/// Runs the model on the input; returns the predicted class.
#[no_mangle]
pub extern "C" fn infer() -> u32 {
    // SAFETY: this module has one thread and JS calls one export at a time,
    // so this is the only reference to STATE while it lives.
    let state = unsafe { &mut *addr_of_mut!(STATE) };
    state.logits = *state.model.forward(&state.input);
    let logits = &state.logits;
    (0..10).fold(0, |best, i| if logits[i] > logits[best] { i } else { best }) as u32
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
