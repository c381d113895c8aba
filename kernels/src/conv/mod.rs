//! Convolutions over NCHW: im2col plus GEMM, depthwise, the RGB stem, transposed.

pub mod conv3x3s2;
pub mod depthwise;
pub mod im2col;
#[cfg(target_arch = "x86_64")]
mod narrow;
pub mod patches;
pub mod transposed;
pub mod winograd;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;
