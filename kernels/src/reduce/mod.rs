//! Reductions: sums and means, any set of dims, boolean reductions, distances.

pub mod dims;
pub mod distance;
pub mod logic;
pub mod sum;
