//! The `etch` command and the host harness behind `etch verify` and `etch bench`.
//!
//! This crate does I/O and runs cargo; `etch-codegen`, which the build script
//! and `include_model!` use, stays pure and lean.

pub mod cache;
pub mod commands;
mod kernels;
pub mod run;
