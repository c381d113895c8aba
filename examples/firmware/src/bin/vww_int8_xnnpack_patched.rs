//! MLPerf Tiny MobileNetV1 0.25 at 96x96 (visual wake words), PT2E int8 XNNPACK twin, compiled by `include_model!` with patch-based execution of its first convolutions, fed int8 row by row through its int8 entry point (`forward_i8_rows`).
#![no_std]
#![no_main]

etch_kernels::include_model!(mod model = "../../tests/fixtures/vww_int8/model.xnnpack.pte", patch = 0);

static CASES: firmware::Cases = include!(concat!(env!("OUT_DIR"), "/vww_int8_xnnpack_patched_cases.rs"));

#[cortex_m_rt::entry]
fn main() -> ! {
    // cortex-m-rt turns this into a `&'static mut`: the arena, the int8 rows in flight with it, lives in .bss.
    static mut MODEL: model::Model = model::Model::new();
    let mut m = firmware::Int8Rows::<_, 3, 96, 96, 288, 2> { model: MODEL, forward: |m, rows| m.forward_i8_rows(rows), input: &[] };
    firmware::run(&CASES, model::ARENA_BYTES, model::WEIGHT_BYTES, &mut m)
}
