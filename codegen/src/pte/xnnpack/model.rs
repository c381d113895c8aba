//! Owned, flatbuffer-free view of one XNNPACK delegate's graph.
//!
//! Tensors in it are XNNPACK's: convolutions and pools see NHWC, filters
//! are `[cout, kh, kw, cin]` (depthwise `[1, kh, kw, cout]`).

use core::ops::Range;

/// XNNPACK's id for "no value" (an absent bias).
pub const NO_VALUE: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub values: Vec<Value>,
    pub nodes: Vec<Node>,
}

impl Graph {
    pub fn value(&self, id: u32) -> Option<&Value> {
        self.values.iter().find(|v| v.id == id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataType {
    F32,
    /// Int8 with one scale and zero point.
    QInt8,
    /// Int8 with a scale per channel, zero point 0 (weights).
    QCInt8,
    /// Int32 with a scale per channel, zero point 0 (biases of int8 ops).
    QCInt32,
    /// Int8 activations quantized at run time, per row (`Quant::PerRow`).
    QDInt8,
    /// 4-bit codes with zero point 8, two per byte (the even element in the
    /// low nibble), a bf16 scale per block of a row (`Quant::PerGroup`).
    QBInt4,
    Int32,
    /// Anything else, by its schema name.
    Other(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Quant {
    None,
    PerTensor { scale: f32, zero_point: i32 },
    PerChannel { scales: Vec<f32>, dim: usize },
    /// Dynamic: a range per run of the trailing `dims` dims, found at run time.
    PerRow { dims: usize },
    /// Blockwise: a scale per run of `group` elements of each channel along `dim`.
    PerGroup { scales: Vec<f32>, dim: usize, group: usize },
    /// Dynamic or blockwise quantization, by name.
    Other(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// The id nodes refer to (XNNPACK's `id_out`).
    pub id: u32,
    pub dtype: DataType,
    pub dims: Vec<usize>,
    pub quant: Quant,
    /// File byte range of a constant's data (possibly longer than the tensor).
    pub data: Option<Range<usize>>,
    /// Position among the delegate call's arguments, for graph inputs and outputs.
    pub external: Option<usize>,
    pub is_input: bool,
    pub is_output: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unary {
    Abs,
    Negate,
    Square,
    SquareRoot,
    ReciprocalSquareRoot,
    Sigmoid,
    Tanh,
    Exp,
    Log,
    Sin,
    Cos,
    Floor,
    Ceiling,
    Gelu,
    Hardswish,
    Clamp,
    Softmax,
    Convert,
    Copy,
    GlobalAvgPool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binary {
    Add,
    Subtract,
    Multiply,
    Div,
    Minimum,
    Maximum,
    /// `x >= 0 ? x : x * slope`, the slope broadcast like a second operand.
    PRelu,
    BatchMatMul,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv {
    pub depthwise: bool,
    /// A transposed convolution, its output lengthened by `adjustment`.
    pub transposed: bool,
    pub adjustment: [usize; 2],
    /// top, right, bottom, left
    pub padding: [usize; 4],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pool {
    /// Max, else average (over the in-bounds part of each window).
    pub max: bool,
    /// top, right, bottom, left
    pub padding: [usize; 4],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub dilation: [usize; 2],
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Unary { f: Unary, x: u32 },
    Binary { f: Binary, a: u32, b: u32 },
    Conv { conv: Conv, x: u32, w: u32, bias: Option<u32> },
    FullyConnected { x: u32, w: u32, bias: Option<u32> },
    Pool { pool: Pool, x: u32 },
    Transpose { perm: Vec<usize>, x: u32 },
    Reshape { x: u32 },
    Concat { axis: usize, inputs: Vec<u32> },
    /// `before[d]` and `after[d]` elements of `value` around each dim.
    Pad { before: Vec<usize>, after: Vec<usize>, value: f32, x: u32 },
    Slice { offsets: Vec<usize>, sizes: Vec<usize>, x: u32 },
    LeakyRelu { slope: f32, x: u32 },
    /// Bilinear resizing of NHWC planes; the output dims give the size.
    ResizeBilinear { x: u32 },
    Elu { alpha: f32, x: u32 },
    /// A node type etch has no lowering for.
    /// Max pooling that also writes, to value `index`, where in its window each maximum was.
    ArgMaxPool { pool: Pool, x: u32, index: u32 },
    Unsupported,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The schema's name for the node type, e.g. `Conv2d`.
    pub name: &'static str,
    pub kind: Kind,
    /// The output value's id (unused for unsupported nodes).
    pub output: u32,
    /// A fused activation: the output is clamped to `[min, max]`.
    pub clamp: Option<[f32; 2]>,
    /// XNNPACK flags, e.g. transposed weights.
    pub flags: u32,
}
