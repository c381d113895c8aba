//! flatc output for `codegen/schema/xnnpack.fbs`: regenerate with
//! `codegen/schema/regen.sh`, never edit by hand.

#[rustfmt::skip]
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::undocumented_unsafe_blocks,
    unused,
    unsafe_op_in_unsafe_fn,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    deprecated,
    mismatched_lifetime_syntaxes
)]
mod xnnpack_generated;

pub use xnnpack_generated::xnn::*;
