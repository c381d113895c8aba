//! Matrix products: the blocked GEMM behind convolutions, and `mm`/`bmm`/`addmm`.

pub mod gemm;
pub mod attention;
pub mod linear;
