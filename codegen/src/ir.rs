//! etch's intermediate representation: typed ops over typed tensor values.
//!
//! Lowering builds it from a `pte::Program`, passes rewrite it, emit prints it.
//! Emitters may assume everything here is valid: lowering checked it.

use std::fmt;

/// Element types etch can hold in an arena or a weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    F32,
    I64,
    I32,
    I8,
    U8,
    Bool,
}

impl DType {
    pub const ALL: [DType; 6] = [DType::F32, DType::I64, DType::I32, DType::I8, DType::U8, DType::Bool];

    pub fn size(self) -> usize {
        match self {
            DType::F32 | DType::I32 => 4,
            DType::I64 => 8,
            DType::I8 | DType::U8 | DType::Bool => 1,
        }
    }

    /// The Rust type name, also used to name arena fields.
    pub fn rust(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::I64 => "i64",
            DType::I32 => "i32",
            DType::I8 => "i8",
            DType::U8 => "u8",
            DType::Bool => "bool",
        }
    }

    pub fn is_float(self) -> bool {
        self == DType::F32
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rust())
    }
}

/// Dense row-major tensor type with a static shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorType {
    pub dtype: DType,
    pub shape: Vec<usize>,
}

impl TensorType {
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn bytes(&self) -> usize {
        self.numel() * self.dtype.size()
    }
}

pub type ValueId = usize;
pub type ConstId = usize;

/// Where a value's elements live.
#[derive(Debug, Clone, PartialEq)]
pub enum Storage {
    /// The method's `index`-th input argument.
    Input(usize),
    /// A weight from the program's constant data.
    Const(ConstId),
    /// Scratch memory: placed by the planner.
    Arena,
    /// The same elements as `base`, starting `offset` elements in. No copy.
    View { base: ValueId, offset: usize },
    /// Mutable state (a KV cache): a field of `Model` that persists across
    /// calls, set to the weight `init` (or zeros) by `new()` and `reset()`.
    State { init: Option<ConstId> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    pub ty: TensorType,
    pub storage: Storage,
    /// Index of the value in the `.pte`, for messages.
    pub source: Option<usize>,
}

/// Unary elementwise functions, `out = f(x)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryFn {
    Abs,
    Neg,
    Exp,
    Tanh,
    Sigmoid,
    Relu,
    Sqrt,
    Rsqrt,
    Gelu,
    GeluTanh,
    Floor,
    Ceil,
    Log,
    Sin,
    Cos,
    Log1p,
    Expm1,
    Log2,
    Log10,
    Reciprocal,
    Trunc,
    /// Half to even.
    Round,
    Sign,
    Erf,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Asinh,
    Acosh,
    Atanh,
    /// A bool output: whether the element is NaN.
    IsNan,
    /// A bool output: whether the element is infinite.
    IsInf,
}

impl UnaryFn {
    /// Ops that keep an integer input's dtype (the others compute in f32).
    pub fn keeps_ints(self) -> bool {
        matches!(self, UnaryFn::Abs | UnaryFn::Neg | UnaryFn::Floor | UnaryFn::Ceil | UnaryFn::Trunc | UnaryFn::Round | UnaryFn::Sign | UnaryFn::Relu)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryFn {
    Add,
    Sub,
    Mul,
    Div,
    /// NaN on either side wins, as ExecuTorch's `maximum`.
    Maximum,
    Minimum,
    /// In f32 for any inputs.
    Atan2,
    /// Integers in f64, like ExecuTorch.
    Pow,
    /// `div` with `rounding_mode="floor"` (and `floor_divide`).
    FloorDiv,
    /// `div` with `rounding_mode="trunc"`.
    TruncDiv,
    /// The sign of `b` for floats; C's `%` for integers, as ExecuTorch.
    Remainder,
    /// C's `fmod`, the sign of `a`; integers in f64.
    Fmod,
    BitAnd,
    BitOr,
    BitXor,
}

/// Reductions of `Op::Reduce`; the arg forms (and `Max`/`Min` with a second
/// output) give the index of the winner along the reduced elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceFn {
    Sum,
    Prod,
    /// NaN wins, as ExecuTorch's `amax` and `max.dim`.
    Max,
    Min,
    ArgMax,
    ArgMin,
}

/// Comparisons, computed in the promoted dtype of both sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpFn {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Logical ops: each side counts as true when nonzero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogicFn {
    And,
    Or,
    Xor,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Conv2d {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
    pub has_bias: bool,
    /// A fused activation: the output is clamped to `[min, max]`.
    pub clamp: Option<[f64; 2]>,
    /// A fused skip connection: after the clamp, the last input (shaped like
    /// the output) is added. Only for `ConvKernel::Pointwise`.
    pub residual: bool,
}

/// Which kernel computes a convolution, chosen from its shapes at codegen time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKernel {
    /// 1×1, stride 1, no padding: a matrix product per image.
    Pointwise,
    /// 3×3 depthwise, padding 1, stride 1 or 2 (`etch_kernels::conv::depthwise::supports`).
    Depthwise3x3,
    /// 5×5 depthwise, padding 2, stride 1 or 2, rows up to 124 (`etch_kernels::conv::depthwise::supports`).
    Depthwise5x5,
    /// 3×3, stride 2, padding 1 over at most 4 input channels (an RGB stem), output
    /// rows 16 to 256 wide (`etch_kernels::conv::conv3x3s2::supports`): no scratch.
    Conv3x3s2,
    /// One group: per output row, gather patches into planned scratch
    /// (`(patch + cout) × out_w`, a few rows), then a matrix product.
    Im2col,
    /// Anything else (grouped convolutions): direct loops, no scratch.
    Direct,
}

impl Conv2d {
    /// `x` is the input shape `[n, c, h, w]`, `w` the weight shape `[cout, cin/groups, kh, kw]`.
    pub fn kernel(&self, x: &[usize], w: &[usize]) -> ConvKernel {
        let one = [1, 1];
        if w[2..] == one && self.stride == one && self.padding == [0, 0] && self.groups == 1 {
            ConvKernel::Pointwise
        } else if self.groups == x[1]
            && w[0] == x[1]
            && w[2..] == [3, 3]
            && self.padding == one
            && self.dilation == one
            && self.stride[0] == self.stride[1]
            && self.stride[0] <= 2
        {
            ConvKernel::Depthwise3x3
        } else if self.groups == x[1]
            && w[0] == x[1]
            && w[2..] == [5, 5]
            && self.padding == [2, 2]
            && self.dilation == one
            && self.stride[0] == self.stride[1]
            && self.stride[0] <= 2
            && x[3] + 4 <= 128
        {
            ConvKernel::Depthwise5x5
        } else if self.groups == 1
            && w[1] <= 4
            && w[2..] == [3, 3]
            && self.stride == [2, 2]
            && self.padding == one
            && self.dilation == one
            && x[3] >= 1
            && (16..=256).contains(&((x[3] - 1) / 2 + 1))
        {
            // Mirrors `etch_kernels::conv::conv3x3s2::supports` (MAX_CIN, MAX_OW).
            ConvKernel::Conv3x3s2
        } else if self.groups == 1 {
            ConvKernel::Im2col
        } else {
            ConvKernel::Direct
        }
    }

    /// Scratch elements the kernel needs, given the output shape.
    pub fn scratch(&self, x: &[usize], w: &[usize], out: &[usize]) -> usize {
        match self.kernel(x, w) {
            // Mirrors `etch_kernels::conv::im2col::im2col_scratch`.
            ConvKernel::Im2col => (x[1] * w[2] * w[3] + w[0]) * out[3],
            _ => 0,
        }
    }
}

/// Scratch elements of a Winograd convolution of `cin` to `cout` channels
/// over an `h × w` image. Mirrors `etch_kernels::conv::winograd::scratch`.
pub fn winograd_scratch(cin: usize, cout: usize, h: usize, w: usize) -> usize {
    const BUDGET: usize = 1 << 15;
    let (q, rows) = (w.div_ceil(2) + 1, h.div_ceil(2));
    let tiles = rows * (q - 1);
    let half = tiles.div_ceil(2).div_ceil(16) * 16;
    let block = (BUDGET / (cin + cout) / 16 * 16).min(half).max(16).min(tiles);
    let most = (block / q).clamp(1, rows) * q;
    16 * (cin + cout) * most + 20 * most + 2 * q + 8
}

/// A transposed convolution; weights are `[cin, cout / groups, kh, kw]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvTranspose2d {
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
    pub groups: usize,
    pub has_bias: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pool2d {
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    pub padding: [usize; 2],
    pub dilation: [usize; 2],
}

/// A typed operation. Inputs and outputs are listed on the `Node`.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// inputs `[x]`
    Unary(UnaryFn),
    /// inputs `[a, b]`; `out = a op alpha*b` (alpha only for add/sub).
    Binary { f: BinaryFn, alpha: f64 },
    /// inputs `[x]`
    Clamp { min: Option<f64>, max: Option<f64> },
    /// inputs `[x]`: elementwise conversion to the output's dtype.
    Cast,
    /// inputs `[x]`: the mean over `dims` (keepdim is in the output shape).
    Mean { dims: Vec<usize> },
    /// inputs `[x]`, outputs `[out]` (in the output's dtype) or, for `Max`/`Min`
    /// over one dim, `[values, indices]`: a fold over `dims` (keepdim is in the shape).
    Reduce { f: ReduceFn, dims: Vec<usize> },
    /// inputs `[x]`: the variance over `dims`, divided by `count - correction`.
    Var { dims: Vec<usize>, correction: f64 },
    /// inputs `[x]`: the running sum along `dim`, in the output's dtype.
    Cumsum { dim: usize },
    /// inputs `[x]`, outputs `[values, indices]`: the `k` largest (or smallest) along `dim`, best first.
    Topk { k: usize, dim: usize, largest: bool },
    /// inputs `[x]`
    Softmax { dim: usize, log: bool },
    /// inputs `[bias, a, b]` with `b` as `[k, n]`.
    Addmm { beta: f64, alpha: f64 },
    /// inputs `[a, b]`
    Mm,
    /// inputs `[a, b]`
    Bmm,
    /// inputs `[x, w]` or `[x, w, bias]`, NCHW.
    Conv2d(Conv2d),
    /// A 3×3 stride-1 `Conv2d` as Winograd F(2×2, 3×3) (`passes::winograd`):
    /// inputs `[x, u]` or `[x, u, bias]`, `u` the weights as `G g Gᵀ`, `[16, cout, cin]`.
    Winograd(Conv2d),
    /// inputs `[x, w]` or `[x, w, bias]`, NCHW.
    ConvTranspose2d(ConvTranspose2d),
    /// inputs `[x]`, outputs `[out]` or `[out, indices]`.
    MaxPool2d(Pool2d),
    /// inputs `[x]`, outputs `[out, indices]`: XNNPACK's argmax pooling, each
    /// index counted inside its window.
    ArgMaxPool2d(Pool2d),
    /// inputs `[x]`: the window mean, dividing by `divisor` when set, else by
    /// the window's size (with `count_include_pad`) or its in-bounds part.
    AvgPool2d { pool: Pool2d, count_include_pad: bool, divisor: Option<i64> },
    /// inputs `[x]`, NCHW: bilinear resizing of every plane to the output's
    /// size. `ratio` is the source step per output step along H and W (an f32).
    ResizeBilinear { align_corners: bool, ratio: [f64; 2] },
    /// inputs `[x]`, NCHW: antialiased bilinear resizing (`_upsample_bilinear2d_aa`);
    /// `scale` is the source step per output step along H and W (an f32).
    ResizeBilinearAa { scale: [f64; 2] },
    /// inputs `[x]`, NCHW, any dtype: nearest-neighbour resizing of every
    /// plane; `ratio` is the source step per output step along H and W (an f32).
    ResizeNearest { ratio: [f64; 2] },
    /// inputs `[x]` plus weight and bias when present, outputs `[out, mean, rstd]`:
    /// `x` as `[n, c, hw]` normalised per image and group of channels.
    GroupNorm { groups: usize, eps: f64, has_weight: bool, has_bias: bool },
    /// inputs `[x]`, `[.., h, w]` to the output's last two dims: the mean of each
    /// adaptive window (rows `floor(o * h / oh)..ceil((o + 1) * h / oh)`).
    AdaptiveAvgPool2d,
    /// inputs `[x, index, src]`: a copy of `x` with `src` (a tensor, or a scalar
    /// of shape `[]`) written, or with `add` added, at `index` along `dim`.
    Scatter { dim: usize, add: bool },
    /// inputs `[x]` plus weight and bias when present, outputs `[out, mean, invstd]`:
    /// batch norm by each channel's own statistics over `[n, c, inner]` (instance norm).
    BatchStatNorm { eps: f64, has_weight: bool, has_bias: bool },
    /// inputs `[x, mask, src]`, all but `src` of the output's shape: where the
    /// mask holds, the next element of `src`.
    MaskedScatter,
    /// inputs `[x1, x2]`, `[batch, p, m]` and `[batch, r, m]`: the p-norm distance of every pair of rows.
    Cdist { p: f64 },
    /// inputs `[x]`, `[n, m]`: the p-norm distance of every pair `i < j` of rows.
    Pdist { p: f64 },
    /// inputs `[x, grid]`, NCHW and `[n, oh, ow, 2]`: bilinear (or nearest) samples;
    /// `padding` 0 zeros, 1 border, 2 reflection.
    GridSample { nearest: bool, padding: u8, align_corners: bool },
    /// no inputs, an f32 output: uniform on `[0, 1)` (or, with `normal`, standard
    /// normal) values from the method's `seed` argument and the op's own `stream`.
    Random { normal: bool, stream: u64 },
    /// inputs `[x, mask]`, the mask over `x`'s leading dims: the selected runs,
    /// `[bound, ...]`. Data-dependent: the method returns the runs it found.
    MaskedSelect,
    /// inputs `[x]`: reflection (or replication) padding, `before[d]` ahead of each dim.
    PadEdges { before: Vec<usize>, reflect: bool },
    /// inputs `[x]`: each element moved `shifts[d]` along dim `d`, wrapping.
    Roll { shifts: Vec<usize> },
    /// inputs `[x]`: zero above the `diagonal` of the last two dims.
    Tril { diagonal: i64 },
    /// inputs `[x]` (f32, `[outer, n, inner]`): the one-sided real DFT along the
    /// middle dim, complex out as f32 pairs `[outer, n / 2 + 1, inner, 2]`, times `scale`.
    RealFft { outer: usize, n: usize, inner: usize, scale: f64 },
    /// inputs `[x]` (complex as f32 pairs, `[..., 2]`): the magnitude of each, `[...]`.
    ComplexAbs,
    /// inputs `[x]`: `x >= 0 ? x : x * slope`.
    LeakyRelu { slope: f64 },
    /// inputs `[x]`: `x <= 0 ? expm1(x * input_scale) * alpha * scale : x * scale`.
    Elu { alpha: f64, scale: f64, input_scale: f64 },
    /// inputs `[x]`: `before[d]` elements of `value` ahead of each dim `d`, the rest after.
    Pad { before: Vec<usize>, value: f64 },
    /// inputs `[x, mean, var]` plus weight and bias when present.
    BatchNorm { eps: f64, has_weight: bool, has_bias: bool },
    /// inputs `[x]`: out[i] = x[offset + Σ i_d * strides_d] (permute, slice, select, expand, split).
    Gather { offset: usize, strides: Vec<usize> },
    /// inputs: the parts, concatenated along `dim`.
    Concat { dim: usize },
    /// no inputs
    Fill { value: f64 },
    /// inputs `[x]`: same elements, new place.
    Copy,
    /// inputs `[a, b]`, broadcasting; a bool output.
    Compare(CmpFn),
    /// inputs `[a, b]`, broadcasting.
    Logical(LogicFn),
    /// inputs `[x]`: logical not, or with `bitwise` the bitwise not of an integer.
    Not { bitwise: bool },
    /// inputs `[cond, a, b]`, broadcasting: `cond ? a : b`.
    Where,
    /// inputs `[x]`: whether any element over `dims` is nonzero.
    Any { dims: Vec<usize> },
    /// no inputs: `out[i] = start + i * step`.
    Arange { start: f64, step: f64 },
    /// inputs `[x]`: `x ^ exponent`.
    Pow { exponent: f64 },
    /// inputs `[x, index]`: slices of `x` along `dim` (embedding, index_select).
    IndexSelect { dim: usize, embedding: bool },
    /// inputs `[x, index]`: `gather` along `dim`, the output shaped like `index`.
    GatherIndex { dim: usize },
    /// inputs `[x, index...]`: `index.Tensor` with the indices (broadcast to one
    /// shape) on the adjacent dims `first..first + count`; negative ones count from the end.
    IndexTensor { first: usize },
    /// inputs `[x]`: reversed along `dims`.
    Flip { dims: Vec<usize> },
    /// inputs `[x, values, index]`: a copy of `x` with its slices along `dim`
    /// at `index` replaced by (or with `accumulate`, added to) `values`.
    IndexPut { dim: usize, accumulate: bool },
    /// inputs `[x]` plus weight and bias when present: normalised over rows
    /// of the trailing `inner` elements.
    LayerNorm { eps: f64, inner: usize, has_weight: bool, has_bias: bool },
    /// inputs `[x]`: the per-row mean (or `rstd`) that `native_layer_norm` also returns.
    LayerNormStat { eps: f64, inner: usize, rstd: bool },
    /// inputs `[x]` (f32), an int8/uint8 output:
    /// `clamp(rint(x * (1/scale)) + zero_point, min, max)` in f32.
    Quantize { scale: f64, zero_point: i64, min: i64, max: i64 },
    /// inputs `[x]`, f32 to f32: each run of `row` elements quantized to int8
    /// with its own range and dequantized again (dynamically quantized activations).
    DynamicQuant { row: usize },
    /// inputs `[q]`, an f32 output: `(q - zero_point) * scale`.
    Dequantize { scale: f64, zero_point: i64 },
    /// inputs `[q, scales]` or `[q, scales, zero_points]`: per channel along `axis`.
    DequantizePerChannel { axis: usize },
    /// An int8 op that replaced a dequantize → f32 op → quantize chain (`passes/quant.rs`).
    Int8(QOp),
    /// inputs `[x]` (f32): a chain of f32 elementwise ops over `x` and scalar
    /// constants, one pass over memory (`passes/chain.rs`).
    Map(Vec<MapStep>),
    /// inputs `[value, pos]`, outputs `[cache]` (state, written in place): `value`
    /// `[b, s, h, d]` into rows `pos..pos + s` of the cache `[b, max, h, d]`;
    /// `pos` is an i64 of shape `[]` read at run time (`llama::update_cache`).
    UpdateCache,
    /// inputs `[q, k, v, pos]`, outputs `[out, scratch]`: attention of `q` `[b, s, h, d]`
    /// over rows `..pos + s` of the caches `[b, max, hkv, d]` (`llama::custom_sdpa`).
    Sdpa { causal: bool, scale: f64 },
    /// inputs `[weight, scales, index]` plus zero points when present: rows of a
    /// quantized table (`bits` 4: two codes a byte; 8: int8 or uint8), `groups`
    /// scales per row, dequantized to f32 (`embedding_4bit`, `embedding_byte`).
    EmbeddingQ { bits: u8, groups: usize, has_zp: bool },
    /// inputs `[x, w, scales, corr]` (packed in blocks of 16 rows, bf16 scales) plus a bias
    /// when `has_bias`, outputs `[out, xu]`: `x [m, k]` quantized to int8 per row at run
    /// time (into the scratch `xu`) times blockwise 4-bit weights `[n, k]` (`etch_kernels::quant::int4`).
    LinearQ4 { group: usize, has_bias: bool },
    /// inputs `[x]` or, with `pos`, `[x, pos]`: rows `start..start + len` of `x`
    /// along `dim` (every dim before it of size 1), `len` the output's size there,
    /// `start = offset + pos + (size of x along dim, with from_end)`, checked at
    /// run time: a slice or select whose bounds are runtime scalars.
    SliceRows { dim: usize, offset: i64, pos: bool, from_end: bool },
}

/// One op of an `Op::Map` chain, computed exactly as the op it replaced.
#[derive(Debug, Clone, PartialEq)]
pub enum MapStep {
    Unary { f: UnaryFn, x: MapArg },
    Binary { f: BinaryFn, alpha: f64, a: MapArg, b: MapArg },
    Clamp { min: Option<f64>, max: Option<f64>, x: MapArg },
}

/// An operand of a `MapStep`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MapArg {
    /// The element of the chain's input.
    X,
    /// The previous step's result.
    Prev,
    /// A scalar constant (an f32, held exactly).
    Const(f64),
}

/// Quantization of an int8 output; `[min, max]` may be narrower than the dtype (a fused clamp).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QOut {
    pub scale: f64,
    pub zero_point: i64,
    pub min: i64,
    pub max: i64,
}

/// Int8 ops: inputs and outputs are int8 values, sums are exact in i32, and
/// each output is requantized in f32 like the quantize op it replaced.
#[derive(Debug, Clone, PartialEq)]
pub enum QOp {
    /// inputs `[x, w, scale, bias]`: int8 `x` with zero point `x_zp`, int8 weights
    /// (zero point 0), f32 `scale` (input × weight scale) and `bias` per output channel.
    Conv2d { conv: Conv2d, x_zp: i64, out: QOut },
    /// inputs `[a, w, scale, bias]`, `a` as `[m, k]` and `w` as `[n, k]`.
    Linear { a_zp: i64, out: QOut },
    /// inputs `[a, b]` of one shape, with their `(scale, zero_point)`: added in f32.
    Add { a: (f64, i64), b: (f64, i64), out: QOut },
    /// inputs `[x]`: the mean over `dims`, a contiguous run, in f32.
    Mean { dims: Vec<usize>, x: (f64, i64), out: QOut },
    /// inputs `[x]`: average pooling in f32, as `Op::AvgPool2d`.
    AvgPool2d { pool: Pool2d, count_include_pad: bool, divisor: Option<i64>, x: (f64, i64), out: QOut },
    /// inputs `[x, w, scale, bias]` per stage after `x`, outputs `[out, scratch]`:
    /// a chain of int8 convolutions run patch by patch (`passes/patch.rs`).
    Patched { stages: Vec<PatchStage>, grid: [usize; 2], stream: Option<PatchStream> },
}

/// A patched chain that reads its input row by row, keeping only the rows in
/// flight: the method's f32 input quantized as the quantize op it replaced,
/// or (`rows`, no `x` among the inputs) rows from the caller of the int8 entry point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PatchStream {
    pub scale: f64,
    pub zero_point: i64,
    pub rows: bool,
    /// The input's shape, `[1, channels, h, w]`.
    pub shape: [usize; 4],
}

/// One convolution of a `QOp::Patched` chain and its whole output's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchStage {
    pub conv: Conv2d,
    pub x_zp: i64,
    pub out: QOut,
    /// `[kh, kw]` of its weights.
    pub kernel: [usize; 2],
    pub out_shape: Vec<usize>,
}

impl Op {
    /// A short name for reports and comments.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Unary(f) => match f {
                UnaryFn::Abs => "abs",
                UnaryFn::Neg => "neg",
                UnaryFn::Exp => "exp",
                UnaryFn::Tanh => "tanh",
                UnaryFn::Sigmoid => "sigmoid",
                UnaryFn::Relu => "relu",
                UnaryFn::Sqrt => "sqrt",
                UnaryFn::Rsqrt => "rsqrt",
                UnaryFn::Gelu => "gelu",
                UnaryFn::GeluTanh => "gelu_tanh",
                UnaryFn::Floor => "floor",
                UnaryFn::Ceil => "ceil",
                UnaryFn::Log => "log",
                UnaryFn::Sin => "sin",
                UnaryFn::Cos => "cos",
                UnaryFn::Log1p => "log1p",
                UnaryFn::Expm1 => "expm1",
                UnaryFn::Log2 => "log2",
                UnaryFn::Log10 => "log10",
                UnaryFn::Reciprocal => "reciprocal",
                UnaryFn::Trunc => "trunc",
                UnaryFn::Round => "round",
                UnaryFn::Sign => "sign",
                UnaryFn::Erf => "erf",
                UnaryFn::Tan => "tan",
                UnaryFn::Asin => "asin",
                UnaryFn::Acos => "acos",
                UnaryFn::Atan => "atan",
                UnaryFn::Sinh => "sinh",
                UnaryFn::Cosh => "cosh",
                UnaryFn::Asinh => "asinh",
                UnaryFn::Acosh => "acosh",
                UnaryFn::Atanh => "atanh",
                UnaryFn::IsNan => "isnan",
                UnaryFn::IsInf => "isinf",
            },
            Op::Binary { f, .. } => match f {
                BinaryFn::Add => "add",
                BinaryFn::Sub => "sub",
                BinaryFn::Mul => "mul",
                BinaryFn::Div => "div",
                BinaryFn::Maximum => "maximum",
                BinaryFn::Minimum => "minimum",
                BinaryFn::Atan2 => "atan2",
                BinaryFn::Pow => "pow",
                BinaryFn::FloorDiv => "floor_divide",
                BinaryFn::TruncDiv => "trunc_divide",
                BinaryFn::Remainder => "remainder",
                BinaryFn::Fmod => "fmod",
                BinaryFn::BitAnd => "bitwise_and",
                BinaryFn::BitOr => "bitwise_or",
                BinaryFn::BitXor => "bitwise_xor",
            },
            Op::Clamp { .. } => "clamp",
            Op::Cast => "cast",
            Op::Mean { .. } => "mean",
            Op::Reduce { f, .. } => match f {
                ReduceFn::Sum => "sum",
                ReduceFn::Prod => "prod",
                ReduceFn::Max => "max",
                ReduceFn::Min => "min",
                ReduceFn::ArgMax => "argmax",
                ReduceFn::ArgMin => "argmin",
            },
            Op::Var { .. } => "var",
            Op::Cumsum { .. } => "cumsum",
            Op::Topk { .. } => "topk",
            Op::Softmax { .. } => "softmax",
            Op::Addmm { .. } => "addmm",
            Op::Mm => "mm",
            Op::Bmm => "bmm",
            Op::Conv2d(_) => "conv2d",
            Op::Winograd(_) => "conv2d_winograd",
            Op::ConvTranspose2d(_) => "conv_transpose2d",
            Op::MaxPool2d(_) => "max_pool2d",
            Op::ArgMaxPool2d(_) => "argmax_pool2d",
            Op::AvgPool2d { .. } => "avg_pool2d",
            Op::ResizeBilinear { .. } => "resize_bilinear",
            Op::ResizeNearest { .. } => "resize_nearest",
            Op::ResizeBilinearAa { .. } => "resize_bilinear_aa",
            Op::GroupNorm { .. } => "group_norm",
            Op::AdaptiveAvgPool2d => "adaptive_avg_pool2d",
            Op::PadEdges { reflect: true, .. } => "reflection_pad",
            Op::PadEdges { .. } => "replication_pad",
            Op::Roll { .. } => "roll",
            Op::MaskedSelect => "masked_select",
            Op::Random { normal: false, .. } => "rand",
            Op::Random { normal: true, .. } => "randn",
            Op::GridSample { .. } => "grid_sample",
            Op::MaskedScatter => "masked_scatter",
            Op::Cdist { .. } => "cdist",
            Op::Pdist { .. } => "pdist",
            Op::BatchStatNorm { .. } => "batch_norm_stats",
            Op::Tril { .. } => "tril",
            Op::RealFft { .. } => "fft_r2c",
            Op::ComplexAbs => "complex_abs",
            Op::Scatter { add: false, .. } => "scatter",
            Op::Scatter { add: true, .. } => "scatter_add",
            Op::LeakyRelu { .. } => "leaky_relu",
            Op::Elu { .. } => "elu",
            Op::Pad { .. } => "pad",
            Op::BatchNorm { .. } => "batch_norm",
            Op::Gather { .. } => "gather",
            Op::Concat { .. } => "concat",
            Op::Fill { .. } => "fill",
            Op::Copy => "copy",
            Op::Compare(f) => match f {
                CmpFn::Eq => "eq",
                CmpFn::Ne => "ne",
                CmpFn::Lt => "lt",
                CmpFn::Le => "le",
                CmpFn::Gt => "gt",
                CmpFn::Ge => "ge",
            },
            Op::Logical(f) => match f {
                LogicFn::And => "logical_and",
                LogicFn::Or => "logical_or",
                LogicFn::Xor => "logical_xor",
            },
            Op::Not { bitwise: false } => "logical_not",
            Op::Not { bitwise: true } => "bitwise_not",
            Op::Where => "where",
            Op::Any { .. } => "any",
            Op::Arange { .. } => "arange",
            Op::Pow { .. } => "pow",
            Op::IndexSelect { embedding: true, .. } => "embedding",
            Op::IndexSelect { .. } => "index_select",
            Op::IndexPut { .. } => "index_put",
            Op::GatherIndex { .. } => "gather",
            Op::IndexTensor { .. } => "index",
            Op::Flip { .. } => "flip",
            Op::LayerNorm { .. } => "layer_norm",
            Op::LayerNormStat { .. } => "layer_norm_stat",
            Op::Quantize { .. } => "quantize",
            Op::DynamicQuant { .. } => "dynamic_quant",
            Op::Dequantize { .. } => "dequantize",
            Op::DequantizePerChannel { .. } => "dequantize_per_channel",
            Op::Int8(q) => match q {
                QOp::Conv2d { .. } => "int8_conv2d",
                QOp::Linear { .. } => "int8_linear",
                QOp::Add { .. } => "int8_add",
                QOp::Mean { .. } => "int8_mean",
                QOp::AvgPool2d { .. } => "int8_avg_pool2d",
                QOp::Patched { .. } => "int8_patched",
            },
            Op::Map(_) => "map",
            Op::UpdateCache => "update_cache",
            Op::Sdpa { .. } => "custom_sdpa",
            Op::EmbeddingQ { bits: 4, .. } => "embedding_4bit",
            Op::EmbeddingQ { .. } => "embedding_byte",
            Op::LinearQ4 { .. } => "linear_q4",
            Op::SliceRows { .. } => "slice_rows",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub op: Op,
    pub inputs: Vec<ValueId>,
    pub outputs: Vec<ValueId>,
    /// The `.pte` instruction this node came from, for messages and comments.
    pub instruction: usize,
}

/// One method of the program.
#[derive(Debug, Clone, PartialEq)]
pub struct Method {
    pub name: String,
    pub values: Vec<Value>,
    pub inputs: Vec<ValueId>,
    pub outputs: Vec<ValueId>,
    pub nodes: Vec<Node>,
    /// The arena ExecuTorch planned for this method (`non_const_buffer_sizes[1]`).
    pub executorch_arena: Option<u64>,
    /// Bounded dynamic sizes; empty for a static method.
    pub dynamic: Dynamic,
}

/// A runtime size the caller passes: dim `dim` of input `input`, at most `bound`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sym {
    pub input: usize,
    pub dim: usize,
    pub bound: usize,
}

/// The runtime shapes of a method with bounded dynamic inputs. Buffers stay
/// planned at the bound (`TensorType::shape`); kernels run on runtime sizes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dynamic {
    pub syms: Vec<Sym>,
    /// Per value with a runtime size: each dim's sym, or `None` when static.
    pub dims: std::collections::BTreeMap<ValueId, Vec<Option<usize>>>,
}

impl Dynamic {
    pub fn is_dynamic(&self, v: ValueId) -> bool {
        self.dims.contains_key(&v)
    }
}

impl Node {
    /// Inputs holding indices read from data, which ExecuTorch checks at run time.
    pub fn index_inputs(&self) -> &[ValueId] {
        match self.op {
            Op::IndexSelect { .. } => &self.inputs[1..2],
            Op::IndexPut { .. } => &self.inputs[2..],
            Op::GatherIndex { .. } => &self.inputs[1..2],
            Op::IndexTensor { .. } => &self.inputs[1..],
            Op::Scatter { .. } => &self.inputs[1..2],
            // A cache position read from the data.
            Op::UpdateCache => &self.inputs[1..2],
            Op::Sdpa { .. } => &self.inputs[3..4],
            Op::EmbeddingQ { .. } => &self.inputs[2..3],
            Op::SliceRows { pos: true, .. } => &self.inputs[1..2],
            _ => &[],
        }
    }
}

impl Method {
    /// The quantize node that reads the method's only input, when it is its
    /// only reader and writes an int8 arena value over the whole int8 range:
    /// what an int8 entry point skips.
    pub fn entry_quantize(&self) -> Option<usize> {
        let [x] = self.inputs[..] else { return None };
        if self.dynamic.is_dynamic(x) || self.fallible() || self.random() || self.passes_input() {
            return None;
        }
        let mut readers = self.nodes.iter().enumerate().filter(|(_, n)| n.inputs.iter().any(|&i| self.root(i).0 == x));
        let (q, node) = readers.next()?;
        let Op::Quantize { min: -128, max: 127, .. } = node.op else { return None };
        let y = node.outputs[0];
        let ok = readers.next().is_none()
            && node.inputs == [x]
            && node.outputs.len() == 1
            && self.values[y].storage == Storage::Arena
            && self.values[y].ty.dtype == DType::I8
            && !self.outputs.iter().any(|&o| self.root(o).0 == y);
        ok.then_some(q)
    }

    /// Whether an output is (a view of) an input, so it borrows from the caller.
    pub fn passes_input(&self) -> bool {
        self.outputs.iter().any(|&v| matches!(self.values[self.root(v).0].storage, Storage::Input(_)))
    }

    /// Whether `node` indexes with values only known at run time (not weights):
    /// such an index may be out of range, and the method then fails.
    pub fn checks_index(&self, node: &Node) -> bool {
        if node.op == Op::MaskedScatter {
            // It fails when the mask selects more elements than `src` has.
            return self.values[node.inputs[2]].ty.numel() < self.values[node.outputs[0]].ty.numel();
        }
        node.index_inputs().iter().any(|&i| !matches!(self.values[self.root(i).0].storage, Storage::Const(_)))
    }

    /// Values whose leading dim is a count found at run time (`nonzero`,
    /// boolean-mask indexing): planned at their bound, returned cut to the count.
    pub fn counted(&self) -> Vec<ValueId> {
        self.nodes.iter().filter(|n| matches!(n.op, Op::MaskedSelect)).map(|n| n.outputs[0]).collect()
    }

    /// Whether the method draws random numbers, and so takes a `seed`.
    pub fn random(&self) -> bool {
        self.nodes.iter().any(|n| matches!(n.op, Op::Random { .. }))
    }

    /// Whether `node` divides integers by values only known at run time:
    /// ExecuTorch fails the call on a zero divisor, and so does the method.
    pub fn checks_divisor(&self, node: &Node) -> bool {
        let Op::Binary { f: BinaryFn::FloorDiv | BinaryFn::TruncDiv | BinaryFn::Remainder, .. } = node.op else { return false };
        let dtype = |v: ValueId| self.values[v].ty.dtype;
        let integer = |v: ValueId| !dtype(v).is_float();
        integer(node.inputs[0])
            && integer(node.inputs[1])
            && !matches!(self.values[self.root(node.inputs[1]).0].storage, Storage::Const(_))
    }

    /// Whether the method returns a `Result`: runtime sizes, runtime indices or integer divisors.
    pub fn fallible(&self) -> bool {
        !self.dynamic.syms.is_empty() || self.nodes.iter().any(|n| self.checks_index(n) || self.checks_divisor(n))
    }

    /// Follows views down to the value that owns the elements, with the element offset.
    pub fn root(&self, mut id: ValueId) -> (ValueId, usize) {
        let mut offset = 0;
        while let Storage::View { base, offset: o } = self.values[id].storage {
            offset += o;
            id = base;
        }
        (id, offset)
    }
}

/// A weight: raw little-endian bytes and their type.
#[derive(Debug, Clone, PartialEq)]
pub struct Constant {
    pub ty: TensorType,
    pub bytes: Vec<u8>,
}

/// The whole program: methods sharing one table of constants.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    pub methods: Vec<Method>,
    pub constants: Vec<Constant>,
    /// Methods that compute nothing and return constants (`get_max_seq_len`).
    pub metadata: Vec<crate::meta::Meta>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(stride: usize, padding: usize) -> Conv2d {
        Conv2d { stride: [stride; 2], padding: [padding; 2], dilation: [1, 1], groups: 1, has_bias: true, clamp: None, residual: false }
    }

    #[test]
    fn rgb_stems_get_the_direct_stride_2_kernel() {
        // mobilenet's stem: 3 channels at 224 × 224, 32 filters of 3 × 3, stride 2.
        assert_eq!(conv(2, 1).kernel(&[1, 3, 224, 224], &[32, 3, 3, 3]), ConvKernel::Conv3x3s2);
        assert_eq!(conv(2, 1).scratch(&[1, 3, 224, 224], &[32, 3, 3, 3], &[1, 32, 112, 112]), 0);
        // Rows of 16 to 256 outputs (inputs 31 to 512 wide), at most 4 input channels.
        assert_eq!(conv(2, 1).kernel(&[1, 4, 9, 31], &[8, 4, 3, 3]), ConvKernel::Conv3x3s2);
        assert_eq!(conv(2, 1).kernel(&[1, 1, 9, 512], &[8, 1, 3, 3]), ConvKernel::Conv3x3s2);
        for (x, w) in [([1, 3, 9, 29], [8, 3, 3, 3]), ([1, 3, 9, 513], [8, 3, 3, 3]), ([1, 5, 9, 64], [8, 5, 3, 3])] {
            assert_eq!(conv(2, 1).kernel(&x, &w), ConvKernel::Im2col, "{x:?} {w:?}");
        }
        assert_eq!(conv(1, 1).kernel(&[1, 3, 64, 64], &[8, 3, 3, 3]), ConvKernel::Im2col);
        assert_eq!(conv(2, 0).kernel(&[1, 3, 64, 64], &[8, 3, 3, 3]), ConvKernel::Im2col);
    }
}
