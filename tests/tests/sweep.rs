//! Whole third-party models from the sweep (`tests/export/sweep_text.py`, results
//! in docs/SWEEP_TEXT.md) whose families exposed bugs, at tiny configs.

use etch_tests::{fixture, verify};

/// torchaudio's MFCC: reflection padding, `unfold`, a window, `_fft_r2c`, the
/// complex magnitude, a mel filter bank, `log10` and a DCT.
#[test]
fn ta_mfcc() {
    verify(&fixture("ta_mfcc"), "model.pte");
}

/// The same through XNNPACK, which takes the matmuls and leaves the FFT portable.
#[test]
fn xnnpack_ta_mfcc() {
    verify(&fixture("ta_mfcc"), "model.xnnpack.pte");
}
