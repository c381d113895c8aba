//! Data movement that computes nothing: strided copies, concatenation, padding, flips.

pub mod layout;
pub mod reorder;
