//! Data-indexed reads and writes: embeddings, `index_select`, gathers and scatters.

pub mod gather;
pub mod rows;
