//! The zoo's mobilenet_v2_int8 (1x3x224x224), portable int8 program, compiled by `include_model!`, fed int8 through its int8 entry point.
#![no_std]
#![no_main]

etch_kernels::include_model!(mod model = "../../../shared/models/mobilenet_v2_int8/model.pte");

static CASES: firmware::Cases = include!(concat!(env!("OUT_DIR"), "/mobilenet_v2_int8_cases.rs"));

#[cortex_m_rt::entry]
fn main() -> ! {
    // cortex-m-rt turns this into a `&'static mut`: the arena, the int8 input with it, lives in .bss.
    static mut MODEL: model::Model = model::Model::new();
    let mut m = firmware::Int8 { model: MODEL, input: model::Model::forward_i8_input, forward: model::Model::forward_i8 };
    firmware::run(&CASES, model::ARENA_BYTES, model::WEIGHT_BYTES, &mut m)
}
