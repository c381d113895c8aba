//! mlp, compiled by `include_model!`, in f32.
#![no_std]
#![no_main]

etch_kernels::include_model!(mod model = "../../tests/fixtures/mlp/model.pte");

static CASES: firmware::Cases = include!(concat!(env!("OUT_DIR"), "/mlp_cases.rs"));

#[cortex_m_rt::entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut`s: they live in .bss.
    static mut MODEL: model::Model = model::Model::new();
    static mut INPUT: [f32; 64] = [0.0; 64];
    let mut m = firmware::F32 { model: MODEL, input: INPUT, forward: model::Model::forward };
    firmware::run(&CASES, model::ARENA_BYTES, model::WEIGHT_BYTES, &mut m)
}
