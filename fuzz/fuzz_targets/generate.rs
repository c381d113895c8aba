//! Any bytes through the whole pipeline: read, lower, plan, emit.
//! An `Err` is fine; a panic, a hang or a huge allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut config = etch_codegen::Config::new("fuzz");
    // Far above the zoo's needs, far below libFuzzer's RSS limit.
    config.max_file_bytes = 32 << 20;
    let _ = etch_codegen::generate(data, &config);
});
