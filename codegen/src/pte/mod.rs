//! Reading ExecuTorch programs (`.pte`).
//!
//! [`parse`] verifies the flatbuffer, checks every index and byte range, and
//! returns an owned [`Program`]; nothing flatbuffer-specific leaks out. Data
//! is not copied: [`Program`] holds byte ranges into the parsed file.

mod data;
mod error;
mod generated;
mod header;
mod model;
mod plan;
mod reader;
mod tensor;
pub mod xnnpack;

#[cfg(test)]
mod tests;

pub use error::Error;
pub use header::{read_header, ExtendedHeader};
pub use model::*;

/// Parses a whole `.pte` file. Never panics, whatever the bytes.
pub fn parse(bytes: &[u8]) -> Result<Program, Error> {
    reader::parse(bytes)
}
