//! A `torch.export` program → the same `pte::Program` shape ExecuTorch writes,
//! so `.pt2` and `.pte` share one lowering.
//!
//! Each ATen node becomes kernel calls to the `.out` ops etch lowers, with its
//! named arguments (and the defaults the exporter leaves out) in the `.out`
//! schema's order. High-level ops (`linear`, `conv2d`, `layer_norm`, ...) map
//! to the calls ExecuTorch's own decomposition gives. Every tensor gets its
//! own slot of one memory plan, weights become constant buffers and mutated
//! buffers planned tensors with initial data, written back by a trailing
//! `copy_`, exactly as in a `.pte`. Each call remembers its node, so errors
//! name the op and the user's Python line.

mod build;
mod nn;
mod ops;
mod shape;

use std::collections::BTreeMap;

use crate::error::{Error, Result, Unsupported, UnsupportedOp};
use crate::pt2::{self, ExportedProgram};
use crate::pte;

pub use ops::is_supported;

/// The translated program, its data, and where each kernel call came from.
pub struct Translated {
    pub program: pte::Program,
    pub bytes: Vec<u8>,
    /// Per instruction: the node's target and source line.
    sites: Vec<(String, Option<String>)>,
}

impl Translated {
    /// Points a lowering error at the node it came from.
    pub fn locate(&self, e: Error) -> Error {
        match e {
            Error::Invalid { instruction, message, .. } => match self.sites.get(instruction) {
                Some((op, at)) => Error::Source { op: op.clone(), at: at.clone().unwrap_or_else(|| "an unknown line".into()), message },
                None => Error::Internal(format!("no node for instruction {instruction}: {message}")),
            },
            other => other,
        }
    }
}

pub fn translate(ep: &ExportedProgram) -> Result<Translated> {
    let mut b = build::Builder::new(ep)?;
    let mut unsupported: BTreeMap<String, UnsupportedOp> = BTreeMap::new();
    for (i, node) in ep.nodes.iter().enumerate() {
        b.node = i;
        b.site = (node.target.clone(), node.source_line());
        match ops::translate(&mut b, node) {
            None => {
                let at = node.source_line();
                unsupported
                    .entry(node.target.clone())
                    .and_modify(|o| o.count += 1)
                    .or_insert(UnsupportedOp { name: node.target.clone(), count: 1, method: "forward".into(), first_instruction: i, at });
            }
            Some(Err(e)) if unsupported.is_empty() => return Err(e),
            Some(_) => {}
        }
    }
    if !unsupported.is_empty() {
        let mut ops: Vec<_> = unsupported.into_values().collect();
        ops.sort_by_key(|o| o.first_instruction);
        return Err(Error::Unsupported(Unsupported { ops }));
    }
    b.finish()
}

/// The `.pt2` front door of `generate()`: parse and translate.
pub fn read(bytes: &[u8]) -> Result<Translated> {
    let ep = pt2::parse(bytes)?;
    translate(&ep)
}
