//! Affine int8 quantization and the int8 kernels built on it.

pub mod affine;
pub mod affine_avx2;
pub mod conv;
pub mod conv3x3;
#[cfg(target_arch = "x86_64")]
mod conv3x3_vnni;
pub mod depthwise;
pub mod depthwise_rows;
#[cfg(target_arch = "x86_64")]
mod depthwise_vnni;
pub mod dot;
pub mod dynamic;
pub mod embedding;
pub mod gemm;
#[cfg(target_arch = "x86_64")]
pub mod gemm_vnni;
pub mod int4;
#[cfg(target_arch = "x86_64")]
mod int4_x86;
pub mod patch;
pub mod patched;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod pointwise_wasm;
pub mod pool;
#[cfg(feature = "threads")]
mod split;

/// True when the int8 kernels take a SIMD path here (AVX2, or wasm simd128):
/// the tests that compare it with the portable one run only then.
#[cfg(test)]
pub(crate) fn simd() -> bool {
    #[cfg(target_arch = "x86_64")]
    return affine_avx2::has_avx2();
    #[cfg(target_arch = "wasm32")]
    return crate::cpu::simd128();
    #[cfg(not(any(target_arch = "x86_64", target_arch = "wasm32")))]
    false
}
