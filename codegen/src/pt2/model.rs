//! Owned, serde-free view of an ExportedProgram.

use std::collections::BTreeMap;

/// The serialized program: one graph, its signature and its data.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportedProgram {
    pub schema: (i64, i64),
    pub torch_version: String,
    pub nodes: Vec<Node>,
    pub tensors: BTreeMap<String, TensorMeta>,
    /// The graph's placeholders, in order, with what the signature says they are.
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
    /// Symbol name → inclusive bounds (`max` is `None` when unbounded).
    pub ranges: BTreeMap<String, (i64, Option<i64>)>,
    /// Parameters, buffers and constants by their fully qualified name: contiguous bytes.
    pub data: BTreeMap<String, Data>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    pub meta: TensorMeta,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    User(String),
    Parameter { arg: String, target: String },
    Buffer { arg: String, target: String },
    Constant { arg: String, target: String },
}

impl Input {
    pub fn arg(&self) -> &str {
        match self {
            Self::User(a) | Self::Parameter { arg: a, .. } | Self::Buffer { arg: a, .. } | Self::Constant { arg: a, .. } => a,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// A tensor the caller gets (its graph name), or a constant.
    User(Arg),
    /// The new value of a buffer.
    BufferMutation { arg: String, buffer: String },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// `aten::conv2d.default` style (torch writes `torch.ops.aten.conv2d.default`).
    pub target: String,
    pub name: String,
    /// Named arguments in schema order; defaults the exporter left out are absent.
    pub inputs: Vec<(String, Arg)>,
    /// Output tensor names, `None` for outputs nothing reads.
    pub outputs: Vec<Option<String>>,
    pub stack_trace: Option<String>,
}

impl Node {
    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.inputs.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    /// `file.py:42 in forward`: the innermost frame of the stack trace outside torch itself.
    pub fn source_line(&self) -> Option<String> {
        let trace = self.stack_trace.as_deref()?;
        let frames: Vec<(&str, &str, &str)> = trace.lines().filter_map(frame).collect();
        let user = frames
            .iter()
            .rev()
            .find(|(file, _, _)| !file.contains("/site-packages/torch/") && !file.contains("/torch/nn/"))
            .or_else(|| frames.last())?;
        let file = user.0.rsplit('/').next().unwrap_or(user.0);
        Some(format!("{file}:{} in {}", user.1, user.2))
    }
}

/// `  File "a/b.py", line 6, in forward` → (`a/b.py`, `6`, `forward`).
fn frame(line: &str) -> Option<(&str, &str, &str)> {
    let rest = line.trim_start().strip_prefix("File \"")?;
    let (file, rest) = rest.split_once("\", line ")?;
    let (number, rest) = rest.split_once(", in ")?;
    Some((file, number, rest.trim()))
}

/// A symbolic or concrete size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Size {
    Int(i64),
    /// A sympy expression over the range-constrained symbols, e.g. `s31` or `2*s31`.
    Expr(String),
}

/// torch's serialized scalar types; unknown codes are kept so errors can name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dtype {
    U8,
    I8,
    I16,
    I32,
    I64,
    F16,
    F32,
    F64,
    Bool,
    BF16,
    Other(i64),
}

impl Dtype {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::U8,
            2 => Self::I8,
            3 => Self::I16,
            4 => Self::I32,
            5 => Self::I64,
            6 => Self::F16,
            7 => Self::F32,
            8 => Self::F64,
            12 => Self::Bool,
            13 => Self::BF16,
            other => Self::Other(other),
        }
    }

    pub fn size(self) -> Option<usize> {
        Some(match self {
            Self::U8 | Self::I8 | Self::Bool => 1,
            Self::I16 | Self::F16 | Self::BF16 => 2,
            Self::I32 | Self::F32 => 4,
            Self::I64 | Self::F64 => 8,
            Self::Other(_) => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorMeta {
    pub dtype: Dtype,
    pub sizes: Vec<Size>,
    pub strides: Vec<Size>,
    pub storage_offset: Size,
}

/// An argument of a node, as torch's schema unions give it.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    None,
    Tensor(String),
    Tensors(Vec<String>),
    OptTensors(Vec<Option<String>>),
    Int(i64),
    Ints(Vec<i64>),
    Float(f64),
    Floats(Vec<f64>),
    Bool(bool),
    Bools(Vec<bool>),
    Str(String),
    /// A symbolic int: a graph name (`sym_size` output) or a constant.
    SymInt(SymInt),
    SymInts(Vec<SymInt>),
    ScalarType(Dtype),
    MemoryFormat(i64),
    Layout(i64),
    Device(String),
    /// A kind etch does not read (a subgraph, a custom object, ...): its schema name.
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SymInt {
    Int(i64),
    Name(String),
}

impl ExportedProgram {
    /// Whether the signature names `fqn` as a parameter, buffer or constant.
    pub fn wants(&self, fqn: &str) -> bool {
        self.inputs.iter().any(|i| match i {
            Input::Parameter { target, .. } | Input::Buffer { target, .. } | Input::Constant { target, .. } => target == fqn,
            Input::User(_) => false,
        })
    }

    /// Every parameter, buffer and constant has data of its placeholder's type.
    pub(crate) fn check_data(&self) -> Result<(), super::Error> {
        for input in &self.inputs {
            let (Input::Parameter { arg, target } | Input::Buffer { arg, target } | Input::Constant { arg, target }) = input else {
                continue;
            };
            let Some(data) = self.data.get(target) else {
                return Err(super::Error::Missing(format!("data of `{target}` (placeholder `{arg}`)")));
            };
            let Some(meta) = self.tensors.get(arg) else {
                return Err(super::Error::Graph(format!("placeholder `{arg}` has no tensor_values entry")));
            };
            if meta.dtype != data.meta.dtype || meta.sizes != data.meta.sizes {
                return Err(super::Error::BadTensor {
                    name: target.clone(),
                    message: format!("stored as {:?} {:?}, but the graph reads it as {:?} {:?}", data.meta.dtype, data.meta.sizes, meta.dtype, meta.sizes),
                });
            }
        }
        Ok(())
    }
}
