//! Matrix products: the blocked GEMM behind convolutions, and `mm`/`bmm`/`addmm`.

pub mod attention;
pub mod gemm;
#[cfg(target_arch = "x86_64")]
mod gemm_avx512;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod gemm_wasm;
pub mod linear;
