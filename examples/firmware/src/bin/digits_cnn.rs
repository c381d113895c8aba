//! digits_cnn, compiled by `include_model!`, on its 8 cases.
#![no_std]
#![no_main]

use firmware as _;

etch_kernels::include_model!(mod model = "../../tests/fixtures/digits_cnn/model.pte");

static CASES: firmware::Cases = include!(concat!(env!("OUT_DIR"), "/digits_cnn_cases.rs"));

#[cortex_m_rt::entry]
fn main() -> ! {
    // cortex-m-rt turns this into a `&'static mut`: the arena lives in .bss.
    static mut MODEL: model::Model = model::Model::new();
    firmware::run(&CASES, model::ARENA_BYTES, model::WEIGHT_BYTES, |x| {
        *MODEL.forward(x)
    })
}
