//! Reading ExecuTorch's XNNPACK delegate payloads (`XnnpackBackend`):
//! an `XH00` header, then a flatbuffer graph (`XN01`) whose constants live
//! in the payload or in the program's named data.

mod generated;
mod header;
mod model;
mod read;

pub use model::*;
pub use read::{node_types, quant_kinds};

use super::{Delegate, DelegateData, Program};

/// The backend id ExecuTorch gives XNNPACK payloads.
pub const BACKEND_ID: &str = "XnnpackBackend";

/// Reads the graph of `delegate`, an XNNPACK one, from the parsed file `bytes`.
/// Never panics, whatever the bytes.
pub fn read(program: &Program, bytes: &[u8], delegate: &Delegate) -> Result<Graph, String> {
    let range = match delegate.data {
        DelegateData::Inline(i) => program.inline_delegate_data.get(i),
        DelegateData::Segment(i) => program.segments.get(i),
    }
    .cloned()
    .ok_or("its payload is missing")?;
    read::read(program, bytes, range)
}

#[cfg(test)]
mod tests;
