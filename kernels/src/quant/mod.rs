//! Affine int8 quantization and the int8 kernels built on it.

pub mod affine;
pub mod affine_avx2;
pub mod conv;
pub mod conv3x3;
pub mod depthwise;
#[cfg(target_arch = "x86_64")]
mod depthwise_vnni;
pub mod dynamic;
pub mod gemm;
#[cfg(target_arch = "x86_64")]
pub mod gemm_vnni;
