//! Payload bytes → [`Graph`]: verifies the flatbuffer, resolves every
//! constant to a file byte range and checks every value id a node names.

use core::ops::Range;
use std::collections::BTreeSet;

use super::generated as fb;
use super::model::*;
use crate::pte::reader::{one_line, verifier_options};
use crate::pte::{NamedData, Program};

/// Flags on a value: an input or output of the delegate call.
const EXTERNAL_INPUT: u32 = 1;
const EXTERNAL_OUTPUT: u32 = 2;

/// The delegate's payload is `file[payload]`.
pub fn read(program: &Program, file: &[u8], payload: Range<usize>) -> Result<Graph, String> {
    let base = payload.start;
    let payload = file.get(payload).ok_or("its payload lies outside the file")?;
    let header = super::header::read(payload)?;
    let bytes = &payload[header.graph.clone()];
    let opts = verifier_options(bytes.len());
    let g = fb::root_as_graph_with_opts(&opts, bytes).map_err(|e| format!("invalid XNNPACK graph: {}", one_line(&e.to_string())))?;
    let constants = Constants {
        program,
        file,
        table: g.constant_data(),
        local: base + header.constants.start..base + header.constants.end,
    };
    let values = g
        .values()
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, v)| read_value(&constants, v).map_err(|m| format!("XNNPACK value {i}: {m}")))
        .collect::<Result<Vec<_>, _>>()?;
    let ids: BTreeSet<u32> = values.iter().map(|v| v.id).collect();
    if ids.len() != values.len() {
        return Err("two XNNPACK values share an id".into());
    }
    let nodes = g
        .nodes()
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, n)| {
            let node = read_node(n).map_err(|m| format!("XNNPACK node {i}: {m}"))?;
            for id in node_ids(&node) {
                if !ids.contains(&id) {
                    return Err(format!("XNNPACK node {i} ({}): value id {id} does not exist", node.name));
                }
            }
            Ok(node)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Graph { values, nodes })
}

/// Every value id a supported node reads or writes.
fn node_ids(node: &Node) -> Vec<u32> {
    let mut ids = match &node.kind {
        Kind::Unary { x, .. }
        | Kind::Pool { x, .. }
        | Kind::Transpose { x, .. }
        | Kind::Reshape { x }
        | Kind::Pad { x, .. }
        | Kind::Slice { x, .. }
        | Kind::LeakyRelu { x, .. }
        | Kind::ResizeBilinear { x }
        | Kind::Elu { x, .. } => vec![*x],
        Kind::Binary { a, b, .. } => vec![*a, *b],
        Kind::Conv { x, w, bias, .. } | Kind::FullyConnected { x, w, bias } => [Some(*x), Some(*w), *bias].into_iter().flatten().collect(),
        Kind::Concat { inputs, .. } => inputs.clone(),
        Kind::ArgMaxPool { x, index, .. } => vec![*x, *index],
        Kind::Unsupported => return vec![],
    };
    ids.push(node.output);
    ids
}

struct Constants<'a, 'p> {
    program: &'p Program,
    file: &'p [u8],
    table: Option<flatbuffers::Vector<'a, flatbuffers::ForwardsUOffset<fb::ConstantData<'a>>>>,
    /// File range of the payload's own constant section.
    local: Range<usize>,
}

impl Constants<'_, '_> {
    /// Entry 0 means "no data".
    fn range(&self, index: u32) -> Result<Option<Range<usize>>, String> {
        if index == 0 {
            return Ok(None);
        }
        let table = self.table.ok_or("refers to constant data, but the graph has none")?;
        let entry = table
            .iter()
            .nth(index as usize)
            .ok_or_else(|| format!("constant index {index} is out of range (the len is {})", table.len()))?;
        if let Some(key) = entry.named_key() {
            let NamedData { segment, .. } = self
                .program
                .named_data
                .iter()
                .find(|d| d.key == key)
                .ok_or_else(|| format!("named data `{key}` is not in the program"))?;
            return self.program.segments.get(*segment).cloned().map(Some).ok_or_else(|| format!("named data `{key}`: no segment {segment}"));
        }
        let start = usize::try_from(entry.offset()).ok().and_then(|o| self.local.start.checked_add(o));
        let end = start.zip(usize::try_from(entry.size()).ok()).and_then(|(s, n)| s.checked_add(n));
        match (start, end) {
            (Some(s), Some(e)) if e <= self.local.end => Ok(Some(s..e)),
            _ => Err(format!("constant {index} (offset {}, size {}) lies outside the delegate's constant data", entry.offset(), entry.size())),
        }
    }
}

/// ExecuTorch's runtime's f32 to bf16: scaled so truncation rounds, then the high half.
fn f32_to_bf16(x: f32) -> u16 {
    ((x * 1.003_891_f32).to_bits() >> 16) as u16
}

fn bf16(b: u16) -> f32 {
    f32::from_bits(u32::from(b) << 16)
}

impl Constants<'_, '_> {
    /// `n` little-endian bf16s from constant `index`, as f32s (exactly).
    fn bf16s(&self, index: u32, n: usize) -> Result<Vec<f32>, String> {
        let range = self.range(index)?.ok_or("scales refer to constant 0")?;
        let bytes = self.file.get(range).filter(|b| b.len() >= n * 2).ok_or_else(|| format!("constant {index} holds fewer than {n} bf16 scales"))?;
        Ok(bytes.chunks_exact(2).take(n).map(|b| bf16(u16::from_le_bytes([b[0], b[1]]))).collect())
    }

    /// `n` little-endian f32s from constant `index`.
    fn floats(&self, index: u32, n: usize) -> Result<Vec<f32>, String> {
        let range = self.range(index)?.ok_or("scales refer to constant 0")?;
        let bytes = self.file.get(range).filter(|b| b.len() >= n * 4).ok_or_else(|| format!("constant {index} holds fewer than {n} scales"))?;
        Ok(bytes.chunks_exact(4).take(n).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
    }
}

fn read_value(constants: &Constants<'_, '_>, v: fb::Value<'_>) -> Result<Value, String> {
    let (t, quant) = match v.value_type() {
        fb::ValueUnion::TensorValue => (v.value_as_tensor_value(), Quant::None),
        fb::ValueUnion::QuantizedTensorValue => {
            let q = v.value_as_quantized_tensor_value().ok_or("missing quantized tensor")?;
            let quant = match q.quant_params_type() {
                fb::QuantParams::PerTensor => {
                    let p = q.quant_params_as_per_tensor().ok_or("missing per-tensor parameters")?;
                    Quant::PerTensor { scale: p.scale(), zero_point: p.zero_point() }
                }
                fb::QuantParams::PerChannel => {
                    let p = q.quant_params_as_per_channel().ok_or("missing per-channel parameters")?;
                    let dim = usize::try_from(p.channel_dim()).map_err(|_| format!("channel dim {}", p.channel_dim()))?;
                    let scales = match p.scale_buffer_idx() {
                        0 => p.scale().map(|s| s.iter().collect()).unwrap_or_default(),
                        i => constants.floats(i, p.num_scales() as usize)?,
                    };
                    Quant::PerChannel { scales, dim }
                }
                fb::QuantParams::PerTokenDynamic => {
                    let p = q.quant_params_as_per_token_dynamic().ok_or("missing per-token parameters")?;
                    let dims = usize::try_from(p.num_nonbatch_dims()).map_err(|_| format!("{} non-batch dims", p.num_nonbatch_dims()))?;
                    Quant::PerRow { dims }
                }
                fb::QuantParams::PerChannelGroup => {
                    let p = q.quant_params_as_per_channel_group().ok_or("missing per-channel-group parameters")?;
                    let dim = usize::try_from(p.channel_dim()).map_err(|_| format!("channel dim {}", p.channel_dim()))?;
                    let group = usize::try_from(p.group_size()).ok().filter(|&g| g > 0).ok_or_else(|| format!("group size {}", p.group_size()))?;
                    // XNNPACK keeps block scales in bf16: the file holds them so, or
                    // as f32 that ExecuTorch's runtime converts (`convertF32TensorToBF16`).
                    let scales = match p.scale_buffer_idx() {
                        0 => p.scale().map(|s| s.iter().map(|x| bf16(f32_to_bf16(x))).collect()).unwrap_or_default(),
                        i => constants.bf16s(i, p.num_scales() as usize)?,
                    };
                    Quant::PerGroup { scales, dim, group }
                }
                other => Quant::Other(other.variant_name().unwrap_or("unknown quantization")),
            };
            (q.tensor_value(), quant)
        }
        other => return Err(format!("unknown value type {}", other.0)),
    };
    let t = t.ok_or("missing tensor")?;
    let dtype = match t.datatype() {
        fb::DataType::F32 => DataType::F32,
        fb::DataType::QInt8 => DataType::QInt8,
        fb::DataType::QCInt8 => DataType::QCInt8,
        fb::DataType::QCInt32 => DataType::QCInt32,
        fb::DataType::QDInt8 => DataType::QDInt8,
        fb::DataType::Int32 => DataType::Int32,
        fb::DataType::QBInt4 => DataType::QBInt4,
        other => DataType::Other(other.variant_name().unwrap_or("unknown")),
    };
    let dims = sizes(t.dims());
    if dims.len() > 8 || dims.iter().try_fold(1usize, |n, &d| n.checked_mul(d)).is_none_or(|n| n > crate::lower::MAX_ELEMENTS) {
        return Err(format!("dims {dims:?} are too large"));
    }
    let flags = t.flags();
    let external = (flags & (EXTERNAL_INPUT | EXTERNAL_OUTPUT) != 0).then_some(t.external_id() as usize);
    Ok(Value {
        id: t.id_out(),
        dtype,
        dims,
        quant,
        data: constants.range(t.constant_buffer_idx())?,
        external,
        is_input: flags & EXTERNAL_INPUT != 0,
        is_output: flags & EXTERNAL_OUTPUT != 0,
    })
}

/// The node types `read_node` leaves `Kind::Unsupported` (its last arm).
const UNREAD_NODES: [fb::NodeUnion; 1] = [fb::NodeUnion::ScaledDotProductAttention];

/// Every node type of XNNPACK's schema, and whether etch reads and lowers it.
pub fn node_types() -> Vec<(&'static str, bool)> {
    let all = fb::NodeUnion::ENUM_VALUES.iter().filter(|&&t| t != fb::NodeUnion::NONE);
    all.map(|&t| (t.variant_name().unwrap_or("unknown"), !UNREAD_NODES.contains(&t))).collect()
}

/// Every quantization kind of XNNPACK's schema, and whether etch reads it.
pub fn quant_kinds() -> Vec<(&'static str, bool)> {
    let all = fb::QuantParams::ENUM_VALUES.iter().filter(|&&q| q != fb::QuantParams::NONE);
    all.map(|&q| (q.variant_name().unwrap_or("unknown"), true)).collect()
}

fn read_node(n: fb::Node<'_>) -> Result<Node, String> {
    use fb::NodeUnion as U;
    let ty = n.node_type();
    let name = ty.variant_name().unwrap_or("unknown");
    let missing = || format!("{name}: missing parameters");
    let clamp = n.output_min_max().map(|m| [m.output_min(), m.output_max()]);
    let unary = |f: Unary, p: Option<fb::Node1x1<'_>>| -> Result<(Kind, u32, u32), String> {
        let p = p.ok_or_else(missing)?;
        Ok((Kind::Unary { f, x: p.input_id() }, p.output_id(), p.flags()))
    };
    let binary = |f: Binary, p: Option<fb::Node2x1<'_>>| -> Result<(Kind, u32, u32), String> {
        let p = p.ok_or_else(missing)?;
        Ok((Kind::Binary { f, a: p.input1_id(), b: p.input2_id() }, p.output_id(), p.flags()))
    };
    let (kind, output, flags) = match ty {
        U::Add => binary(Binary::Add, n.node_as_add())?,
        U::Subtract => binary(Binary::Subtract, n.node_as_subtract())?,
        U::Multiply => binary(Binary::Multiply, n.node_as_multiply())?,
        U::Div => binary(Binary::Div, n.node_as_div())?,
        U::Minimum => binary(Binary::Minimum, n.node_as_minimum())?,
        U::Maximum => binary(Binary::Maximum, n.node_as_maximum())?,
        U::PReLU => binary(Binary::PRelu, n.node_as_pre_lu())?,
        U::BatchMatrixMultiply => binary(Binary::BatchMatMul, n.node_as_batch_matrix_multiply())?,
        U::Abs => unary(Unary::Abs, n.node_as_abs())?,
        U::Negate => unary(Unary::Negate, n.node_as_negate())?,
        U::Square => unary(Unary::Square, n.node_as_square())?,
        U::SquareRoot => unary(Unary::SquareRoot, n.node_as_square_root())?,
        U::ReciprocalSquareRoot => unary(Unary::ReciprocalSquareRoot, n.node_as_reciprocal_square_root())?,
        U::Sigmoid => unary(Unary::Sigmoid, n.node_as_sigmoid())?,
        U::Tanh => unary(Unary::Tanh, n.node_as_tanh())?,
        U::Exp => unary(Unary::Exp, n.node_as_exp())?,
        U::Gelu => unary(Unary::Gelu, n.node_as_gelu())?,
        U::Log => unary(Unary::Log, n.node_as_log())?,
        U::Sin => unary(Unary::Sin, n.node_as_sin())?,
        U::Cos => unary(Unary::Cos, n.node_as_cos())?,
        U::Floor => unary(Unary::Floor, n.node_as_floor())?,
        U::Ceiling => unary(Unary::Ceiling, n.node_as_ceiling())?,
        U::Hardswish => unary(Unary::Hardswish, n.node_as_hardswish())?,
        U::Clamp => unary(Unary::Clamp, n.node_as_clamp())?,
        U::Softmax => unary(Unary::Softmax, n.node_as_softmax())?,
        U::Convert => unary(Unary::Convert, n.node_as_convert())?,
        U::Copy => unary(Unary::Copy, n.node_as_copy())?,
        U::GlobalAvgPooling2d => unary(Unary::GlobalAvgPool, n.node_as_global_avg_pooling_2d())?,
        U::Conv2d | U::DepthwiseConv2d | U::ConvTranspose2d => {
            let p = [n.node_as_conv_2d(), n.node_as_depthwise_conv_2d(), n.node_as_conv_transpose_2d()]
                .into_iter()
                .flatten()
                .next()
                .ok_or_else(missing)?;
            let u = |x: u32| x as usize;
            let conv = Conv {
                depthwise: ty == U::DepthwiseConv2d,
                transposed: ty == U::ConvTranspose2d,
                adjustment: [u(p.adjustment_height()), u(p.adjustment_width())],
                padding: [u(p.padding_top()), u(p.padding_right()), u(p.padding_bottom()), u(p.padding_left())],
                kernel: [u(p.kernel_height()), u(p.kernel_width())],
                stride: [u(p.subsampling_height()), u(p.subsampling_width())],
                dilation: [u(p.dilation_height()), u(p.dilation_width())],
                groups: u(p.groups()),
            };
            let bias = (p.bias_id() != NO_VALUE).then_some(p.bias_id());
            (Kind::Conv { conv, x: p.input1_id(), w: p.filter_id(), bias }, p.output_id(), p.flags())
        }
        U::MaxPooling2d | U::AvgPooling2d => {
            let p = n.node_as_max_pooling_2d().or_else(|| n.node_as_avg_pooling_2d()).ok_or_else(missing)?;
            let u = |x: u32| x as usize;
            let pool = Pool {
                max: ty == U::MaxPooling2d,
                padding: [u(p.padding_top()), u(p.padding_right()), u(p.padding_bottom()), u(p.padding_left())],
                kernel: [u(p.pooling_height()), u(p.pooling_width())],
                stride: [u(p.stride_height()), u(p.stride_width())],
                // Average pooling leaves dilation unset.
                dilation: [u(p.dilation_height()).max(1), u(p.dilation_width()).max(1)],
            };
            (Kind::Pool { pool, x: p.input_id() }, p.output_id(), p.flags())
        }
        U::ArgMaxPooling2d => {
            let p = n.node_as_arg_max_pooling_2d().ok_or_else(missing)?;
            let u = |x: u32| x as usize;
            let kernel = [u(p.pooling_height()), u(p.pooling_width())];
            let pool = Pool {
                max: true,
                padding: [u(p.padding_top()), u(p.padding_right()), u(p.padding_bottom()), u(p.padding_left())],
                kernel,
                // XNNPACK's argmax pooling steps by its window.
                stride: kernel,
                dilation: [1, 1],
            };
            (Kind::ArgMaxPool { pool, x: p.input_id(), index: p.output_index_id() }, p.output_value_id(), p.flags())
        }
        U::FullyConnected => {
            let p = n.node_as_fully_connected().ok_or_else(missing)?;
            let bias = (p.bias_id() != NO_VALUE).then_some(p.bias_id());
            (Kind::FullyConnected { x: p.input1_id(), w: p.filter_id(), bias }, p.output_id(), p.flags())
        }
        U::StaticTranspose => {
            let p = n.node_as_static_transpose().ok_or_else(missing)?;
            (Kind::Transpose { perm: sizes(p.perm()), x: p.input_id() }, p.output_id(), p.flags())
        }
        U::StaticReshape => {
            let p = n.node_as_static_reshape().ok_or_else(missing)?;
            (Kind::Reshape { x: p.input_id() }, p.output_id(), p.flags())
        }
        U::Concatenate2 | U::Concatenate3 | U::Concatenate4 | U::Concatenate5 => {
            let p = [n.node_as_concatenate_2(), n.node_as_concatenate_3(), n.node_as_concatenate_4(), n.node_as_concatenate_5()]
                .into_iter()
                .flatten()
                .next()
                .ok_or_else(missing)?;
            let count = match ty {
                U::Concatenate2 => 2,
                U::Concatenate3 => 3,
                U::Concatenate4 => 4,
                _ => 5,
            };
            let all = [p.input1_id(), p.input2_id(), p.input3_id(), p.input4_id(), p.input5_id()];
            (Kind::Concat { axis: p.axis() as usize, inputs: all[..count].to_vec() }, p.output_id(), p.flags())
        }
        U::StaticConstantPad => {
            let p = n.node_as_static_constant_pad().ok_or_else(missing)?;
            let (before, after) = (sizes(p.pre_paddings()), sizes(p.post_paddings()));
            (Kind::Pad { before, after, value: p.padding_value(), x: p.input_id() }, p.output_id(), p.flags())
        }
        U::StaticSlice => {
            let p = n.node_as_static_slice().ok_or_else(missing)?;
            (Kind::Slice { offsets: sizes(p.offsets()), sizes: sizes(p.sizes()), x: p.input_id() }, p.output_id(), p.flags())
        }
        U::StaticResizeBilinear2D => {
            let p = n.node_as_static_resize_bilinear_2_d().ok_or_else(missing)?;
            (Kind::ResizeBilinear { x: p.input_id() }, p.output_id(), p.flags())
        }
        U::LeakyReLU => {
            let p = n.node_as_leaky_re_lu().ok_or_else(missing)?;
            (Kind::LeakyRelu { slope: p.negative_slope(), x: p.input_id() }, p.output_id(), p.flags())
        }
        U::ELU => {
            let p = n.node_as_elu().ok_or_else(missing)?;
            (Kind::Elu { alpha: p.alpha(), x: p.input_id() }, p.output_id(), p.flags())
        }
        _ => (Kind::Unsupported, NO_VALUE, 0),
    };
    Ok(Node { name, kind, output, clamp, flags })
}

/// An optional list of sizes, empty when absent.
fn sizes(v: Option<flatbuffers::Vector<'_, u32>>) -> Vec<usize> {
    v.map(|v| v.iter().map(|x| x as usize).collect()).unwrap_or_default()
}
