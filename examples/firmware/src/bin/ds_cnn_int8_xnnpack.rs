//! MLPerf Tiny DS-CNN (keyword spotting), PT2E int8 XNNPACK twin, compiled by `include_model!`, fed int8 through its int8 entry point.
#![no_std]
#![no_main]

etch_kernels::include_model!(mod model = "../../tests/fixtures/ds_cnn_int8/model.xnnpack.pte");

static CASES: firmware::Cases = include!(concat!(env!("OUT_DIR"), "/ds_cnn_int8_xnnpack_cases.rs"));

#[cortex_m_rt::entry]
fn main() -> ! {
    // cortex-m-rt turns this into a `&'static mut`: the arena, the int8 input with it, lives in .bss.
    static mut MODEL: model::Model = model::Model::new();
    let mut m = firmware::Int8 { model: MODEL, input: model::Model::forward_i8_input, forward: model::Model::forward_i8 };
    firmware::run(&CASES, model::ARENA_BYTES, model::WEIGHT_BYTES, &mut m)
}
