//! Owned, flatbuffer-free view of an ExecuTorch program.
//!
//! Everything past `pte/` sees only these types. Byte ranges point into the
//! original file so weights can be copied out or referenced in place.

use core::ops::Range;

/// A parsed `.pte` file.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub version: u32,
    pub plans: Vec<Plan>,
    /// File byte range of every constant buffer, indexed by `Tensor::data_buffer_idx`.
    /// Index 0 is reserved (an empty range). The range runs to the next buffer,
    /// so it can be longer than the tensor: slice by the tensor's byte size.
    pub constants: Vec<Range<usize>>,
    /// Per `mutable_data_segments` entry, file byte ranges indexed like `constants`.
    pub mutable_data: Vec<Vec<Range<usize>>>,
    /// Named blobs (used by delegates), by key.
    pub named_data: Vec<NamedData>,
    /// File byte range of every data segment.
    pub segments: Vec<Range<usize>>,
    /// Inline delegate payloads (`backend_delegate_data`), file byte ranges.
    pub inline_delegate_data: Vec<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedData {
    pub key: String,
    pub segment: usize,
}

/// One method (ExecuTorch's `ExecutionPlan`).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: String,
    pub values: Vec<EValue>,
    pub inputs: Vec<usize>,
    pub outputs: Vec<usize>,
    pub chains: Vec<Chain>,
    pub operators: Vec<Operator>,
    pub delegates: Vec<Delegate>,
    pub non_const_buffer_sizes: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator {
    pub name: String,
    pub overload: String,
}

impl Operator {
    /// `aten::add.out` style, as ExecuTorch prints it.
    pub fn qualified(&self) -> String {
        if self.overload.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.name, self.overload)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Delegate {
    pub id: String,
    pub data: DelegateData,
    pub compile_specs: Vec<(String, Vec<u8>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelegateData {
    /// Index into `Program::inline_delegate_data`.
    Inline(usize),
    /// Index into `Program::segments`.
    Segment(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub inputs: Vec<usize>,
    pub outputs: Vec<usize>,
    pub instructions: Vec<Instruction>,
}

/// Value indices are validated against `Plan::values` by the reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instruction {
    Kernel { op: usize, args: Vec<usize> },
    Delegate { delegate: usize, args: Vec<usize> },
    Move { from: usize, to: usize },
    JumpFalse { cond: usize, destination: usize },
    Free { value: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub enum EValue {
    Null,
    Int(i64),
    Bool(bool),
    Double(f64),
    Tensor(Tensor),
    String(String),
    IntList(Vec<i64>),
    DoubleList(Vec<f64>),
    BoolList(Vec<bool>),
    /// Indices of tensor values.
    TensorList(Vec<usize>),
    /// Indices of tensor values; `None` where the list holds a null (ExecuTorch writes -1).
    OptionalTensorList(Vec<Option<usize>>),
}

/// ExecuTorch's scalar types. Unknown codes are kept so errors can name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ScalarType {
    Byte,
    Char,
    Short,
    Int,
    Long,
    Half,
    Float,
    Double,
    Bool,
    QInt8,
    QUInt8,
    QInt32,
    BFloat16,
    Other(i8),
}

impl ScalarType {
    pub fn from_code(code: i8) -> Self {
        match code {
            0 => Self::Byte,
            1 => Self::Char,
            2 => Self::Short,
            3 => Self::Int,
            4 => Self::Long,
            5 => Self::Half,
            6 => Self::Float,
            7 => Self::Double,
            11 => Self::Bool,
            12 => Self::QInt8,
            13 => Self::QUInt8,
            14 => Self::QInt32,
            15 => Self::BFloat16,
            other => Self::Other(other),
        }
    }

    /// Size of one element in bytes, where known.
    pub fn size(self) -> Option<usize> {
        Some(match self {
            Self::Byte | Self::Char | Self::Bool | Self::QInt8 | Self::QUInt8 => 1,
            Self::Short | Self::Half | Self::BFloat16 => 2,
            Self::Int | Self::Float | Self::QInt32 => 4,
            Self::Long | Self::Double => 8,
            Self::Other(_) => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamism {
    Static,
    Bound,
    Unbound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tensor {
    pub scalar_type: ScalarType,
    pub storage_offset: i32,
    pub sizes: Vec<i32>,
    pub dim_order: Vec<u8>,
    /// 0 = no stored data; otherwise an index into `Program::constants`
    /// (or into a mutable data segment when `allocation` is set).
    pub data_buffer_idx: u32,
    pub allocation: Option<Allocation>,
    pub dynamism: Dynamism,
    pub extra: Option<ExtraTensorInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allocation {
    pub memory_id: u32,
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraTensorInfo {
    pub mutable_data_segments_idx: u64,
    pub fully_qualified_name: Option<String>,
    /// True when the data lives outside the `.pte` (a `.ptd` file).
    pub external: bool,
}
