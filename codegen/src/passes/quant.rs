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

use crate::ir::{BinaryFn, Constant, Conv2d, DType, Method, Node, Op, QOp, QOut, Storage, TensorType, UnaryFn, Value, ValueId};
use crate::passes::fold::decode;

pub fn run(method: &mut Method, constants: &mut Vec<Constant>) {
    identities(method);
    let mut removed = BTreeSet::new();
    for n in 0..method.nodes.len() {
        let Op::Quantize { scale, zero_point, min, max } = method.nodes[n].op else { continue };
        let Some((p, m)) = matches(method, constants, n) else { continue };
        let (op, inputs) = build(method, constants, m, QOut { scale, zero_point, min, max });
        let (outputs, instruction) = (method.nodes[n].outputs.clone(), method.nodes[p].instruction);
        method.nodes[p] = Node { op: Op::Int8(op), inputs, outputs, instruction };
        removed.insert(n);
    }
    sweep(method, &removed);
    fuse_clamps(method);
    super::dce::run(method);
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
}

/// When node `n` is the quantize that ends a supported chain: the f32 op's node, and what it reads.
fn matches(method: &Method, constants: &[Constant], n: usize) -> Option<(usize, Match)> {
    let (f, y) = (method.nodes[n].inputs[0], method.nodes[n].outputs[0]);
    if method.values[y].ty.dtype != DType::I8 || method.values[f].storage != Storage::Arena {
        return None;
    }
    let p = producer(method, f)?;
    let node = &method.nodes[p];
    if sole_reader(method, f) != Some(n) || node.outputs != [f] {
        return None;
    }
    let m = match &node.op {
        Op::Conv2d(c) if c.clamp.is_none() => {
            let bias = match node.inputs.get(2) {
                Some(&b) => Some(f32_const(method, b)?),
                None => None,
            };
            Match::Conv { conv: c.clone(), x: dequantized(method, node.inputs[0])?, w: weights(method, constants, node.inputs[1])?, bias }
        }
        Op::Addmm { beta, alpha } if *beta == 1.0 && *alpha == 1.0 => {
            let [bias, a, bt] = node.inputs[..] else { return None };
            let n_out = method.values[f].ty.shape[1];
            let bias_ok = method.values[bias].ty.shape.last() == Some(&n_out) && method.values[bias].ty.numel() == n_out;
            let (a, w) = linear(method, constants, a, bt, n_out)?;
            Match::Linear { a, w, bias: Some(f32_const(method, bias).filter(|_| bias_ok)?) }
        }
        Op::Mm => {
            let [a, bt] = node.inputs[..] else { return None };
            let (a, w) = linear(method, constants, a, bt, method.values[f].ty.shape[1])?;
            Match::Linear { a, w, bias: None }
        }
        Op::Binary { f: BinaryFn::Add, alpha } if *alpha == 1.0 => {
            let shape = &method.values[f].ty.shape;
            let [a, b] = node.inputs[..] else { return None };
            if method.values[a].ty.shape != *shape || method.values[b].ty.shape != *shape {
                return None;
            }
            Match::Add { a: dequantized(method, a)?, b: dequantized(method, b)? }
        }
        Op::Mean { dims } if !dims.is_empty() && dims.windows(2).all(|w| w[1] == w[0] + 1) => {
            Match::Mean { dims: dims.clone(), x: dequantized(method, node.inputs[0])? }
        }
        _ => return None,
    };
    Some((p, m))
}

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
fn linear(method: &Method, constants: &[Constant], a: ValueId, bt: ValueId, n: usize) -> Option<(Q, Weights)> {
    let g = producer(method, bt)?;
    let Op::Gather { offset: 0, strides } = &method.nodes[g].op else { return None };
    let w = method.nodes[g].inputs[0];
    let k = method.values[w].ty.shape.get(1).copied()?;
    if strides[..] != [1, k] || method.values[w].ty.shape != [n, k] {
        return None;
    }
    Some((dequantized(method, a)?, weights(method, constants, w)?))
}

/// Int8 weights dequantized per output channel (axis 0) with zero points 0.
fn weights(method: &Method, constants: &[Constant], v: ValueId) -> Option<Weights> {
    let node = &method.nodes[producer(method, v)?];
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
}
