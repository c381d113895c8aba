//! PT2E int8 programs compute in f32 between dequantize and quantize ops.
//! Where a chain `dequantize → conv | addmm | add | mean → quantize` has int8
//! input and int8 weights (per channel, zero point 0), it becomes one int8 op
//! (`Op::Int8`): activations stay int8 in the arena, sums are exact in i32.
//! Then `→ dequantize → relu | hardtanh → quantize` with the same parameters
//! narrows the int8 op's output range instead: quantization is monotone, and
//! `quantize(dequantize(q)) = q`, so the clamp moves into the integer domain.
//! Anything else keeps the exact f32 path. Runs before constant folding, which
//! would turn the int8 weights into f32.

use std::collections::BTreeSet;

use crate::ir::{BinaryFn, Constant, Conv2d, DType, Method, Node, Op, Pool2d, QOp, QOut, Storage, TensorType, UnaryFn, Value, ValueId};
use crate::passes::fold::decode;

pub fn run(method: &mut Method, constants: &mut Vec<Constant>) -> Int8Report {
    identities(method);
    let mut removed = BTreeSet::new();
    let mut fallbacks = Vec::new();
    for n in 0..method.nodes.len() {
        let Op::Quantize { scale, zero_point, min, max } = method.nodes[n].op else { continue };
        let (p, clamp, m, movers) = match matches(method, constants, n) {
            Ok(found) => found,
            Err(Some((p, reason))) => {
                let node = &method.nodes[p];
                fallbacks.push((method.nodes[n].outputs[0], Fallback { op: node.op.name(), instruction: node.instruction, reason }));
                continue;
            }
            Err(None) => continue,
        };
        let m = match m {
            Found::Kernel(m) => m,
            Found::Move(x) => {
                let y = method.nodes[n].outputs[0];
                (method.nodes[p].inputs, method.nodes[p].outputs) = (vec![x.value], vec![y]);
                removed.insert(n);
                continue;
            }
        };
        let mut out = QOut { scale, zero_point, min, max };
        if let Some((c, lo, hi)) = clamp {
            // quantize is monotone, so it commutes with max/min: the clamp narrows the int8 range.
            let q = |v: f64| quantize_one(v as f32, 1.0f32 / scale as f32, zero_point, min, max);
            out.min = out.min.max(lo.map_or(i64::MIN, q));
            out.max = out.max.min(hi.map_or(i64::MAX, q));
            removed.insert(c);
        }
        let (op, inputs) = build(method, constants, m, out);
        let (mut y, instruction) = (method.nodes[n].outputs[0], method.nodes[p].instruction);
        let f = method.nodes[p].outputs[0];
        if !movers.is_empty() {
            // The op and the moves after it carry int8; the quantized value
            // is (a view of) what the last move writes.
            for &mv in &movers {
                method.values[method.nodes[mv].inputs[0]].ty.dtype = DType::I8;
                let o = method.nodes[mv].outputs[0];
                method.values[o].ty.dtype = DType::I8;
            }
            let q = method.nodes[n].inputs[0];
            method.values[q].ty.dtype = DType::I8;
            method.values[y].storage = Storage::View { base: q, offset: 0 };
            y = f;
        } else if method.values[y].ty.shape != method.values[f].ty.shape {
            // A reshape sat between the op and its quantize: the op writes its
            // own shape, and the quantized value becomes a view of that.
            let ty = TensorType { dtype: DType::I8, shape: method.values[f].ty.shape.clone() };
            method.values.push(Value { ty, storage: Storage::Arena, source: None });
            let y0 = method.values.len() - 1;
            method.values[y].storage = Storage::View { base: y0, offset: 0 };
            y = y0;
        }
        method.nodes[p] = Node { op: Op::Int8(op), inputs, outputs: vec![y], instruction };
        removed.insert(n);
    }
    sweep(method, &removed);
    fuse_clamps(method);
    super::dce::run(method);
    // A clamp between two int8 ops was folded by `fuse_clamps`: its quantize is gone.
    let quantized = |y: ValueId| method.nodes.iter().any(|n| matches!(n.op, Op::Quantize { .. }) && n.outputs == [y]);
    let fallbacks = fallbacks.into_iter().filter(|(y, _)| quantized(*y)).map(|(_, f)| f).collect();
    let int8_ops = method.nodes.iter().filter(|n| matches!(n.op, Op::Int8(_))).count();
    Int8Report { int8_ops, fallbacks }
}

/// What the int8 rewrite made of one method, for `etch inspect`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Int8Report {
    /// Ops that run on int8 kernels.
    pub int8_ops: usize,
    /// Ops between a dequantize and a quantize that stay on the exact f32 path.
    pub fallbacks: Vec<Fallback>,
}

/// One op the int8 rewrite left in f32, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    pub op: &'static str,
    /// Its instruction in the program (the first of a fused group).
    pub instruction: usize,
    pub reason: String,
}

/// An int8 value with its dequantization parameters.
#[derive(Clone, Copy)]
struct Q {
    value: ValueId,
    scale: f64,
    zero_point: i64,
}

/// Int8 weights `[cout, ...]`, zero point 0, and their per-channel scales.
struct Weights {
    value: ValueId,
    scales: Vec<f32>,
}

enum Match {
    Conv { conv: Conv2d, x: Q, w: Weights, bias: Option<ValueId> },
    Linear { a: Q, w: Weights, bias: Option<ValueId> },
    Add { a: Q, b: Q },
    Mean { dims: Vec<usize>, x: Q },
    AvgPool { pool: Pool2d, count_include_pad: bool, divisor: Option<i64>, x: Q },
}

/// What a chain becomes: an int8 kernel, or a copy (or strided gather)
/// between two values of one quantization, which moves the int8 codes as they are.
enum Found {
    Kernel(Match),
    Move(Q),
}

/// A clamp node to fold into the int8 op's range: its index, low and high bounds.
type Clamp = Option<(usize, Option<f64>, Option<f64>)>;

/// Why a chain is not rewritten: `None` when node `n` ends no chain at all
/// (it quantizes an input), else the f32 op that stays and the reason.
type Miss = Option<(usize, String)>;

fn clamp_range(op: &Op) -> Option<(Option<f64>, Option<f64>)> {
    match *op {
        Op::Unary(UnaryFn::Relu) => Some((Some(0.0), None)),
        Op::Clamp { min, max } => Some((min, max)),
        _ => None,
    }
}

/// When node `n` is the quantize that ends a supported chain
/// `dequantize → op [→ relu | hardtanh | clamp] → quantize`: the op's node,
/// the clamp to fold, and what the op reads.
fn matches(method: &Method, constants: &[Constant], n: usize) -> Result<(usize, Clamp, Found, Vec<usize>), Miss> {
    let (q, y) = (method.nodes[n].inputs[0], method.nodes[n].outputs[0]);
    // The quantize may read a reshape (a view at offset 0) of the op's result.
    let (mut f, offset) = method.root(q);
    if method.values[y].ty.dtype != DType::I8 || method.values[f].storage != Storage::Arena {
        return Err(None);
    }
    let mut p = producer(method, f).ok_or(None)?;
    let miss = |p: usize, why: &str| Some((p, why.to_string()));
    let only_n = if q == f { sole_reader(method, f) == Some(n) } else { readers(method, f) == [n] };
    if !only_n || method.nodes[p].outputs != [f] {
        return Err(miss(p, "its f32 result is read by other ops too"));
    }
    if offset != 0 || method.values[q].ty.numel() != method.values[f].ty.numel() {
        return Err(miss(p, "the quantize reads part of its result"));
    }
    // Copies and strided gathers between the op and its quantize can move the
    // int8 codes instead: quantize is elementwise.
    let mut movers = Vec::new();
    while matches!(method.nodes[p].op, Op::Copy | Op::Gather { .. }) && dequantized(method, method.nodes[p].inputs[0]).is_none() {
        let g = method.nodes[p].inputs[0];
        let Some(p2) = producer(method, g) else { break };
        let direct = method.values[g].storage == Storage::Arena && sole_reader(method, g) == Some(p) && method.nodes[p2].outputs == [g];
        if !direct {
            break;
        }
        movers.push(p);
        (p, f) = (p2, g);
    }
    let mut clamp = None;
    if let Some((lo, hi)) = clamp_range(&method.nodes[p].op) {
        let g = method.nodes[p].inputs[0];
        if let Some(q) = producer(method, g) {
            let direct = method.values[g].storage == Storage::Arena && sole_reader(method, g) == Some(p) && method.nodes[q].outputs == [g];
            if direct && dequantized(method, g).is_none() {
                clamp = Some((p, lo, hi));
                (p, f) = (q, g);
            }
        }
    }
    let node = &method.nodes[p];
    let input = |v: ValueId| dequantized(method, v).ok_or_else(|| miss(p, "an input is not a dequantized int8 tensor"));
    let m = match &node.op {
        Op::Conv2d(c) if c.clamp.is_none() => {
            let bias = match node.inputs.get(2) {
                Some(&b) => Some(f32_const(method, b).ok_or_else(|| miss(p, "its bias is not an f32 constant"))?),
                None => None,
            };
            let w = weights(method, constants, node.inputs[1]).ok_or_else(|| miss(p, WEIGHTS))?;
            Match::Conv { conv: c.clone(), x: input(node.inputs[0])?, w, bias }
        }
        Op::Addmm { beta, alpha } if *beta == 1.0 && *alpha == 1.0 => {
            let [bias, a, bt] = node.inputs[..] else { return Err(None) };
            let n_out = method.values[f].ty.shape[1];
            let bias_ok = method.values[bias].ty.shape.last() == Some(&n_out) && method.values[bias].ty.numel() == n_out;
            let (a, w) = linear(method, constants, a, bt, n_out).map_err(|why| miss(p, why))?;
            let bias = f32_const(method, bias).filter(|_| bias_ok).ok_or_else(|| miss(p, "its bias is not an f32 constant per output"))?;
            Match::Linear { a, w, bias: Some(bias) }
        }
        Op::Mm => {
            let [a, bt] = node.inputs[..] else { return Err(None) };
            let (a, w) = linear(method, constants, a, bt, method.values[f].ty.shape[1]).map_err(|why| miss(p, why))?;
            Match::Linear { a, w, bias: None }
        }
        Op::Binary { f: BinaryFn::Add, alpha } if *alpha == 1.0 => {
            let shape = &method.values[f].ty.shape;
            let [a, b] = node.inputs[..] else { return Err(None) };
            if method.values[a].ty.shape != *shape || method.values[b].ty.shape != *shape {
                return Err(miss(p, "a broadcast add has no int8 kernel"));
            }
            Match::Add { a: input(a)?, b: input(b)? }
        }
        Op::Mean { dims } if !dims.is_empty() && dims.windows(2).all(|w| w[1] == w[0] + 1) => {
            Match::Mean { dims: dims.clone(), x: input(node.inputs[0])? }
        }
        Op::AvgPool2d { pool, count_include_pad, divisor } if method.values[node.inputs[0]].ty.shape.len() == 4 => {
            Match::AvgPool { pool: pool.clone(), count_include_pad: *count_include_pad, divisor: *divisor, x: input(node.inputs[0])? }
        }
        Op::Copy | Op::Gather { .. } if method.values[node.inputs[0]].ty.numel() == method.values[f].ty.numel() => {
            let x = input(node.inputs[0])?;
            let Op::Quantize { scale, zero_point, min, max } = method.nodes[n].op else { return Err(None) };
            if clamp.is_some() || q != f || (x.scale, x.zero_point, min, max) != (scale, zero_point, -128, 127) {
                return Err(miss(p, "it moves data between two different quantizations"));
            }
            if !movers.is_empty() {
                return Err(miss(p, "it moves data between two different quantizations"));
            }
            return Ok((p, None, Found::Move(x), movers));
        }
        op => return Err(miss(p, &format!("no int8 kernel for `{}` in this form", op.name()))),
    };
    Ok((p, clamp, Found::Kernel(m), movers))
}

const WEIGHTS: &str = "its weights are not int8 constants per output channel with zero point 0";

fn build(method: &mut Method, constants: &mut Vec<Constant>, m: Match, out: QOut) -> (QOp, Vec<ValueId>) {
    match m {
        Match::Conv { conv, x, w, bias } => {
            let scale = requant_scales(method, constants, x.scale, &w.scales);
            let bias = bias.unwrap_or_else(|| add_const(method, constants, DType::F32, w.scales.len(), vec![0; 4 * w.scales.len()]));
            (QOp::Conv2d { conv: Conv2d { has_bias: true, ..conv }, x_zp: x.zero_point, out }, vec![x.value, w.value, scale, bias])
        }
        Match::Linear { a, w, bias } => {
            let scale = requant_scales(method, constants, a.scale, &w.scales);
            let bias = bias.unwrap_or_else(|| add_const(method, constants, DType::F32, w.scales.len(), vec![0; 4 * w.scales.len()]));
            (QOp::Linear { a_zp: a.zero_point, out }, vec![a.value, w.value, scale, bias])
        }
        Match::Add { a, b } => (QOp::Add { a: (a.scale, a.zero_point), b: (b.scale, b.zero_point), out }, vec![a.value, b.value]),
        Match::Mean { dims, x } => (QOp::Mean { dims, x: (x.scale, x.zero_point), out }, vec![x.value]),
        Match::AvgPool { pool, count_include_pad, divisor, x } => {
            (QOp::AvgPool2d { pool, count_include_pad, divisor, x: (x.scale, x.zero_point), out }, vec![x.value])
        }
    }
}

/// `quantize(dequantize(x))` with the same parameters over the whole int8
/// range gives `x` back: the second value becomes a view of the first.
fn identities(method: &mut Method) {
    let mut removed = BTreeSet::new();
    for n in 0..method.nodes.len() {
        let Op::Quantize { scale, zero_point, min: -128, max: 127 } = method.nodes[n].op else { continue };
        let y = method.nodes[n].outputs[0];
        let Some(x) = dequantized(method, method.nodes[n].inputs[0]) else { continue };
        let arena = |v: ValueId| method.values[method.root(v).0].storage == Storage::Arena;
        let same = (x.scale, x.zero_point) == (scale, zero_point);
        if same && arena(x.value) && method.values[y].storage == Storage::Arena && !is_output(method, y) && method.values[y].ty.dtype == DType::I8 {
            method.values[y].storage = Storage::View { base: x.value, offset: 0 };
            removed.insert(n);
        }
    }
    sweep(method, &removed);
}

/// `int8 op → y → dequantize → relu | hardtanh | clamp → quantize` (same parameters):
/// the int8 op writes the last value, its range narrowed to the clamp's.
fn fuse_clamps(method: &mut Method) {
    let mut removed = BTreeSet::new();
    for c in 0..method.nodes.len() {
        let (lo, hi) = match method.nodes[c].op {
            Op::Clamp { min, max } => (min, max),
            Op::Unary(UnaryFn::Relu) => (Some(0.0), None),
            _ => continue,
        };
        let (cd, cout) = (method.nodes[c].inputs[0], method.nodes[c].outputs[0]);
        let Some(y) = dequantized(method, cd) else { continue };
        let (Some(d), Some(qn), Some(p)) = (producer(method, cd), sole_reader(method, cout), producer(method, y.value)) else { continue };
        let Op::Quantize { scale, zero_point, min, max } = method.nodes[qn].op else { continue };
        let direct = sole_reader(method, cd) == Some(c) && sole_reader(method, y.value) == Some(d) && method.nodes[p].outputs == [y.value];
        if !direct || (scale, zero_point) != (y.scale, y.zero_point) || removed.contains(&qn) {
            continue;
        }
        let q = |v: f64| quantize_one(v as f32, 1.0f32 / scale as f32, zero_point, min, max);
        let z = method.nodes[qn].outputs[0];
        let Op::Int8(QOp::Conv2d { out, .. } | QOp::Linear { out, .. } | QOp::Add { out, .. }) = &mut method.nodes[p].op else { continue };
        out.min = out.min.max(min).max(lo.map_or(i64::MIN, q));
        out.max = out.max.min(max).min(hi.map_or(i64::MAX, q));
        method.nodes[p].outputs = vec![z];
        removed.extend([c, qn]);
    }
    sweep(method, &removed);
}

/// ExecuTorch's quantize of one value, in f32 (`rint` ties to even).
fn quantize_one(v: f32, inv_scale: f32, zero_point: i64, min: i64, max: i64) -> i64 {
    let r = (v * inv_scale).round_ties_even() + zero_point as f32;
    if r.is_nan() {
        min
    } else {
        (r as i64).clamp(min, max)
    }
}

/// The int8 value that `v` dequantizes, per tensor, through a node whose output `v` is or views.
fn dequantized(method: &Method, v: ValueId) -> Option<Q> {
    let (root, offset) = method.root(v);
    let node = &method.nodes[producer(method, root)?];
    let Op::Dequantize { scale, zero_point } = node.op else { return None };
    let q = node.inputs[0];
    let same_len = method.values[q].ty.numel() == method.values[v].ty.numel();
    (offset == 0 && same_len && method.values[q].ty.dtype == DType::I8).then_some(Q { value: q, scale, zero_point })
}

/// `a @ bt` where `bt` is the transpose of int8 weights `[n, k]` (a linear
/// layer's permute_copy): the dequantized `a` and the weights.
fn linear(method: &Method, constants: &[Constant], a: ValueId, bt: ValueId, n: usize) -> Result<(Q, Weights), &'static str> {
    const NOT_T: &str = "its weights are not the transpose of an int8 `[n, k]` constant";
    let g = producer(method, bt).ok_or(NOT_T)?;
    let Op::Gather { offset: 0, strides } = &method.nodes[g].op else { return Err(NOT_T) };
    let w = method.nodes[g].inputs[0];
    let k = method.values[w].ty.shape.get(1).copied().ok_or(NOT_T)?;
    if strides[..] != [1, k] || method.values[w].ty.shape != [n, k] {
        return Err(NOT_T);
    }
    let a = dequantized(method, a).ok_or("an input is not a dequantized int8 tensor")?;
    Ok((a, weights(method, constants, w).ok_or(WEIGHTS)?))
}

/// Int8 weights dequantized per output channel (axis 0), or per tensor, with zero points 0.
fn weights(method: &Method, constants: &[Constant], v: ValueId) -> Option<Weights> {
    let node = &method.nodes[producer(method, v)?];
    // Per-tensor weights (PT2E's `is_per_channel=False`): one scale for every channel.
    if let Op::Dequantize { scale, zero_point: 0 } = node.op {
        let q = node.inputs[0];
        let channels = method.values[q].ty.shape.first().copied()?;
        let is_const = matches!(method.values[method.root(q).0].storage, Storage::Const(_)) && method.root(q).1 == 0;
        let ok = is_const && node.outputs == [v] && method.values[q].ty.dtype == DType::I8;
        return ok.then(|| Weights { value: q, scales: vec![scale as f32; channels] });
    }
    if node.op != (Op::DequantizePerChannel { axis: 0 }) || node.outputs != [v] {
        return None;
    }
    let (q, s) = (node.inputs[0], node.inputs[1]);
    let channels = method.values[q].ty.shape.first().copied()?;
    let ints = |v: ValueId| -> Option<Vec<f64>> {
        let (Storage::Const(c), 0) = (method.values[method.root(v).0].storage.clone(), method.root(v).1) else { return None };
        let d = method.values[v].ty.dtype;
        Some(constants[c].bytes.chunks_exact(d.size()).map(|b| decode(b, d)).collect())
    };
    let scales: Vec<f32> = ints(s)?.into_iter().map(|v| v as f32).collect();
    let zero = match node.inputs.get(2) {
        Some(&z) => ints(z)?.iter().all(|&v| v == 0.0),
        None => true,
    };
    let is_const = matches!(method.values[method.root(q).0].storage, Storage::Const(_));
    let ok = zero && is_const && method.values[q].ty.dtype == DType::I8 && scales.len() == channels;
    ok.then_some(Weights { value: q, scales })
}

fn f32_const(method: &Method, v: ValueId) -> Option<ValueId> {
    let ok = matches!(method.values[method.root(v).0].storage, Storage::Const(_)) && method.values[v].ty.dtype == DType::F32;
    ok.then_some(v)
}

/// Per output channel, input scale × weight scale, as one f32 weight.
fn requant_scales(method: &mut Method, constants: &mut Vec<Constant>, x_scale: f64, w: &[f32]) -> ValueId {
    let x = f64::from(x_scale as f32);
    let bytes = w.iter().flat_map(|&s| ((x * f64::from(s)) as f32).to_le_bytes()).collect();
    add_const(method, constants, DType::F32, w.len(), bytes)
}

fn add_const(method: &mut Method, constants: &mut Vec<Constant>, dtype: DType, len: usize, bytes: Vec<u8>) -> ValueId {
    let ty = TensorType { dtype, shape: vec![len] };
    constants.push(Constant { ty: ty.clone(), bytes });
    method.values.push(Value { ty, storage: Storage::Const(constants.len() - 1), source: None });
    method.values.len() - 1
}

/// The node that writes `v`'s root.
fn producer(method: &Method, v: ValueId) -> Option<usize> {
    let root = method.root(v).0;
    method.nodes.iter().position(|n| n.outputs.contains(&root))
}

/// The only node reading `v`, reading it directly, when `v` is not a method output.
fn sole_reader(method: &Method, v: ValueId) -> Option<usize> {
    if is_output(method, v) {
        return None;
    }
    let mut readers = method.nodes.iter().enumerate().filter(|(_, n)| n.inputs.iter().any(|&i| method.root(i).0 == v));
    let (j, node) = readers.next()?;
    let direct = node.inputs.iter().filter(|&&i| method.root(i).0 == v).all(|&i| i == v);
    (readers.next().is_none() && direct).then_some(j)
}

/// Every node that reads `v`, directly or through a view.
fn readers(method: &Method, v: ValueId) -> Vec<usize> {
    let reads = |n: &Node| n.inputs.iter().any(|&i| method.root(i).0 == v);
    method.nodes.iter().enumerate().filter(|(_, n)| reads(n)).map(|(j, _)| j).collect()
}

fn is_output(method: &Method, v: ValueId) -> bool {
    method.outputs.iter().any(|&o| method.root(o).0 == method.root(v).0)
}

fn sweep(method: &mut Method, removed: &BTreeSet<usize>) {
    let mut i = 0;
    method.nodes.retain(|_| {
        i += 1;
        !removed.contains(&(i - 1))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(dtype: DType, shape: &[usize], storage: Storage) -> Value {
        Value { ty: TensorType { dtype, shape: shape.to_vec() }, storage, source: None }
    }

    fn node(op: Op, inputs: Vec<usize>, outputs: Vec<usize>) -> Node {
        Node { op, inputs, outputs, instruction: 0 }
    }

    /// x → quantize → dequantize → conv(dequantized int8 weights) → quantize → dequantize → hardtanh → quantize → dequantize.
    fn program(weight_zp: i64) -> (Method, Vec<Constant>) {
        let f = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let constants = vec![
            Constant { ty: TensorType { dtype: DType::I8, shape: vec![2, 1, 1, 1] }, bytes: vec![3, 0xfe] },
            Constant { ty: TensorType { dtype: DType::F32, shape: vec![2] }, bytes: f(&[0.5, 0.25]) },
            Constant { ty: TensorType { dtype: DType::I64, shape: vec![2] }, bytes: [weight_zp, 0].iter().flat_map(|z| z.to_le_bytes()).collect() },
            Constant { ty: TensorType { dtype: DType::F32, shape: vec![2] }, bytes: f(&[0.1, -0.1]) },
        ];
        let act = [1, 1, 2, 2];
        let out = [1, 2, 2, 2];
        let values = vec![
            value(DType::F32, &act, Storage::Input(0)),   // 0 x
            value(DType::I8, &act, Storage::Arena),       // 1 quantized x
            value(DType::F32, &act, Storage::Arena),      // 2 dequantized x
            value(DType::I8, &[2, 1, 1, 1], Storage::Const(0)),
            value(DType::F32, &[2], Storage::Const(1)),
            value(DType::I64, &[2], Storage::Const(2)),
            value(DType::F32, &[2, 1, 1, 1], Storage::Arena), // 6 weights
            value(DType::F32, &[2], Storage::Const(3)),     // 7 bias
            value(DType::F32, &out, Storage::Arena),        // 8 conv
            value(DType::I8, &out, Storage::Arena),         // 9
            value(DType::F32, &out, Storage::Arena),        // 10
            value(DType::F32, &out, Storage::Arena),        // 11 hardtanh
            value(DType::I8, &out, Storage::Arena),         // 12
            value(DType::F32, &out, Storage::Arena),        // 13 output
        ];
        let conv = Conv2d { stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1, has_bias: true, clamp: None, residual: false };
        let (q, dq) = (|s, z| Op::Quantize { scale: s, zero_point: z, min: -128, max: 127 }, |s, z| Op::Dequantize { scale: s, zero_point: z });
        let nodes = vec![
            node(q(0.1, 1), vec![0], vec![1]),
            node(dq(0.1, 1), vec![1], vec![2]),
            node(Op::DequantizePerChannel { axis: 0 }, vec![3, 4, 5], vec![6]),
            node(Op::Conv2d(conv), vec![2, 6, 7], vec![8]),
            node(q(0.05, -4), vec![8], vec![9]),
            node(dq(0.05, -4), vec![9], vec![10]),
            node(Op::Clamp { min: Some(0.0), max: Some(6.0) }, vec![10], vec![11]),
            node(q(0.05, -4), vec![11], vec![12]),
            node(dq(0.05, -4), vec![12], vec![13]),
        ];
        let method = Method { name: "forward".into(), values, inputs: vec![0], outputs: vec![13], nodes, executorch_arena: None, dynamic: Default::default() };
        (method, constants)
    }

    #[test]
    fn conv_chain_becomes_one_int8_conv_with_the_clamp_as_its_range() {
        let (mut method, mut constants) = program(0);
        run(&mut method, &mut constants);
        let ops: Vec<&str> = method.nodes.iter().map(|n| n.op.name()).collect();
        assert_eq!(ops, ["quantize", "int8_conv2d", "dequantize"]);
        let conv = &method.nodes[1];
        assert_eq!(conv.inputs[..3], [1, 3, method.values.len() - 1], "int8 x, int8 weights, new scales");
        assert_eq!(conv.outputs, [12]);
        // hardtanh(0, 6) at scale 0.05, zero point -4: [-4, 116]
        let Op::Int8(QOp::Conv2d { x_zp: 1, out, .. }) = &conv.op else { panic!("{:?}", conv.op) };
        assert_eq!((out.min, out.max, out.zero_point), (-4, 116, -4));
        let Storage::Const(c) = method.values[conv.inputs[2]].storage else { panic!() };
        let scales: Vec<f32> = constants[c].bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(scales, [(0.1f64 as f32 as f64 * 0.5) as f32, (0.1f64 as f32 as f64 * 0.25) as f32]);
    }

    #[test]
    fn nonzero_weight_zero_points_keep_the_float_path() {
        let (mut method, mut constants) = program(1);
        let before = method.nodes.len();
        run(&mut method, &mut constants);
        assert_eq!(method.nodes.len(), before);
        assert!(method.nodes.iter().all(|n| !matches!(n.op, Op::Int8(_))));
    }

    /// A linear layer without bias (`mm`) gets the int8 kernel and a zero bias.
    #[test]
    fn bias_free_linear_becomes_int8() {
        let f = |v: &[f32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let mut constants = vec![
            Constant { ty: TensorType { dtype: DType::I8, shape: vec![2, 4] }, bytes: vec![1, 2, 3, 4, 5, 6, 7, 8] },
            Constant { ty: TensorType { dtype: DType::F32, shape: vec![2] }, bytes: f(&[0.5, 0.25]) },
        ];
        let values = vec![
            value(DType::I8, &[1, 4], Storage::Input(0)),   // 0 int8 x
            value(DType::F32, &[1, 4], Storage::Arena),     // 1 dequantized x
            value(DType::I8, &[2, 4], Storage::Const(0)),   // 2 weights
            value(DType::F32, &[2], Storage::Const(1)),     // 3 scales
            value(DType::F32, &[2, 4], Storage::Arena),     // 4 dequantized weights
            value(DType::F32, &[4, 2], Storage::Arena),     // 5 transposed
            value(DType::F32, &[1, 2], Storage::Arena),     // 6 product
            value(DType::I8, &[1, 2], Storage::Arena),      // 7 output
        ];
        let nodes = vec![
            node(Op::Dequantize { scale: 0.1, zero_point: 3 }, vec![0], vec![1]),
            node(Op::DequantizePerChannel { axis: 0 }, vec![2, 3], vec![4]),
            node(Op::Gather { offset: 0, strides: vec![1, 4] }, vec![4], vec![5]),
            node(Op::Mm, vec![1, 5], vec![6]),
            node(Op::Quantize { scale: 0.2, zero_point: 0, min: -128, max: 127 }, vec![6], vec![7]),
        ];
        let mut method = Method { name: "forward".into(), values, inputs: vec![0], outputs: vec![7], nodes, executorch_arena: None, dynamic: Default::default() };
        run(&mut method, &mut constants);
        let ops: Vec<&str> = method.nodes.iter().map(|n| n.op.name()).collect();
        assert_eq!(ops, ["int8_linear"]);
        let bias = method.nodes[0].inputs[3];
        let Storage::Const(c) = method.values[bias].storage else { panic!() };
        assert_eq!(constants[c].bytes, vec![0; 8]);
    }

    /// PT2E's `dequantize → conv → relu → quantize` (no quantize between conv
    /// and relu): one int8 conv, the relu as its range.
    #[test]
    fn relu_before_the_quantize_folds_into_the_range() {
        let (mut method, mut constants) = program(0);
        // conv(8) → relu → 11 → quantize → 12, dropping the first quantize/dequantize pair.
        method.nodes.drain(4..7);
        method.nodes.insert(4, node(Op::Unary(UnaryFn::Relu), vec![8], vec![11]));
        run(&mut method, &mut constants);
        let ops: Vec<&str> = method.nodes.iter().map(|n| n.op.name()).collect();
        assert_eq!(ops, ["quantize", "int8_conv2d", "dequantize"]);
        let Op::Int8(QOp::Conv2d { out, .. }) = &method.nodes[1].op else { panic!() };
        // relu at scale 0.05, zero point -4: [-4, 127]
        assert_eq!((out.min, out.max), (-4, 127));
        assert_eq!(method.nodes[1].outputs, [12]);
    }

    /// An op with no int8 kernel stays f32, and the report says which and why.
    #[test]
    fn a_fallback_is_reported_with_its_reason() {
        let (mut method, mut constants) = program(0);
        method.nodes[3].op = Op::Unary(UnaryFn::Tanh);
        method.nodes[3].inputs.truncate(1);
        let report = run(&mut method, &mut constants);
        assert_eq!(report.int8_ops, 0);
        // The tanh, and the hardtanh after it, whose input no int8 op writes.
        assert_eq!(report.fallbacks.len(), 2, "{report:?}");
        assert_eq!((report.fallbacks[0].op, report.fallbacks[1].op), ("tanh", "clamp"));
        assert!(report.fallbacks[0].reason.contains("no int8 kernel"), "{}", report.fallbacks[0].reason);
    }

    /// `dequantize → avg_pool2d → view → quantize`: an int8 pool writing its
    /// own shape, the quantized value a view of it.
    #[test]
    fn a_pool_read_through_a_reshape_becomes_int8() {
        let values = vec![
            value(DType::I8, &[1, 2, 2, 2], Storage::Input(0)), // 0
            value(DType::F32, &[1, 2, 2, 2], Storage::Arena),   // 1 dequantized
            value(DType::F32, &[1, 2, 1, 1], Storage::Arena),   // 2 pooled
            value(DType::F32, &[1, 2], Storage::View { base: 2, offset: 0 }),
            value(DType::I8, &[1, 2], Storage::Arena),          // 4 output
        ];
        let pool = Pool2d { kernel: [2, 2], stride: [2, 2], padding: [0, 0], dilation: [1, 1] };
        let nodes = vec![
            node(Op::Dequantize { scale: 0.1, zero_point: 3 }, vec![0], vec![1]),
            node(Op::AvgPool2d { pool, count_include_pad: true, divisor: None }, vec![1], vec![2]),
            node(Op::Quantize { scale: 0.2, zero_point: 0, min: -128, max: 127 }, vec![3], vec![4]),
        ];
        let mut method = Method { name: "forward".into(), values, inputs: vec![0], outputs: vec![4], nodes, executorch_arena: None, dynamic: Default::default() };
        let report = run(&mut method, &mut Vec::new());
        assert_eq!(report.int8_ops, 1);
        assert_eq!(method.nodes.len(), 1);
        assert_eq!(method.nodes[0].op.name(), "int8_avg_pool2d");
        let y0 = method.nodes[0].outputs[0];
        assert_eq!(method.values[y0].ty, TensorType { dtype: DType::I8, shape: vec![1, 2, 1, 1] });
        assert_eq!(method.values[4].storage, Storage::View { base: y0, offset: 0 });
    }

    /// Weights quantized per tensor (`is_per_channel=False`) get one scale per channel.
    #[test]
    fn per_tensor_weights_become_int8() {
        let (mut method, mut constants) = program(0);
        method.nodes[2] = node(Op::Dequantize { scale: 0.5, zero_point: 0 }, vec![3], vec![6]);
        run(&mut method, &mut constants);
        let conv = &method.nodes[1];
        assert_eq!(conv.op.name(), "int8_conv2d");
        let Storage::Const(c) = method.values[conv.inputs[2]].storage else { panic!() };
        let scales: Vec<f32> = constants[c].bytes.chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(scales, [(0.1f64 as f32 as f64 * 0.5) as f32; 2]);
    }
}
