//! Elementwise ops: maps, binary ops with broadcasting, `where`, and random fills.

pub mod binary;
pub mod math;
pub mod random;
pub mod select;
pub mod unary;
