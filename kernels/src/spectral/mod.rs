//! Spectral ops. Complex values are f32 pairs `[re, im]`, the layout of
//! ExecuTorch's `ComplexFloat`.

mod complex_abs;
mod rfft;

pub use complex_abs::complex_abs;
pub use rfft::rfft;
