//! The one error type of `generate()`. Every message names what and where.

use std::fmt;

use crate::pte;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Pte(#[from] pte::Error),

    #[error("{0}")]
    Unsupported(Unsupported),

    /// An op was recognised but its arguments are not valid or not handled.
    #[error("method `{method}`, instruction {instruction} (`{op}`): {message}")]
    Invalid { method: String, instruction: usize, op: String, message: String },

    /// A `.pt2` node that etch cannot compile as it stands, at the user's Python line.
    #[error("{op} at {at}: {message}")]
    Source { op: String, at: String, message: String },

    #[error(transparent)]
    Pt2(#[from] crate::pt2::Error),

    /// A method-level problem outside any one instruction.
    #[error("method `{method}`: {message}")]
    Method { method: String, message: String },

    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { what: String, size: u64, limit: u64 },

    /// A bug in etch, not in the input: please report it.
    #[error("internal error (a bug in etch): {0}")]
    Internal(String),

    #[error("template `{name}`: {message}")]
    Template { name: &'static str, message: String },
}

/// Every op the program uses that etch cannot compile yet, found in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub ops: Vec<UnsupportedOp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedOp {
    /// `name.overload`, or a description such as `delegate XnnpackBackend`.
    pub name: String,
    pub count: usize,
    pub method: String,
    pub first_instruction: usize,
    /// For a `.pt2`, where the first use is in the user's Python: `model.py:42 in forward`.
    pub at: Option<String>,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.ops.len();
        writeln!(f, "{n} unsupported op{} in this program", if n == 1 { "" } else { "s" })?;
        let width = self.ops.iter().map(|o| o.name.len()).max().unwrap_or(0);
        for op in &self.ops {
            let times = if op.count == 1 { "" } else { "s" };
            match &op.at {
                Some(at) => writeln!(f, "  {:width$}  at {at}, used {} time{times}", op.name, op.count)?,
                None => writeln!(
                    f,
                    "  {:width$}  used {} time{times}, first in method `{}` at instruction {}",
                    op.name, op.count, op.method, op.first_instruction,
                )?,
            }
        }
        write!(f, "  = help: `etch inspect` lists every op and whether etch supports it; docs/OPS.md has the coverage table")
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
