//! MLPerf Tiny ResNet-8 (CIFAR-10), compiled by `include_model!`, in f32.
#![no_std]
#![no_main]

etch_kernels::include_model!(mod model = "../../tests/fixtures/resnet8/model.pte");

static CASES: firmware::Cases = include!(concat!(env!("OUT_DIR"), "/resnet8_cases.rs"));

#[cortex_m_rt::entry]
fn main() -> ! {
    // cortex-m-rt turns these into `&'static mut`s: they live in .bss.
    static mut MODEL: model::Model = model::Model::new();
    static mut INPUT: [f32; 3072] = [0.0; 3072];
    let mut m = firmware::F32 { model: MODEL, input: INPUT, forward: model::Model::forward };
    firmware::run(&CASES, model::ARENA_BYTES, model::WEIGHT_BYTES, &mut m)
}
