//! Folds inference batch norm into the convolution before it, and fuses a
//! following relu / hardtanh / clamp into the convolution's epilogue.
//!
//! Both rewrites need the intermediate value to have exactly one reader and
//! not be a method output; then the second node disappears.

use crate::ir::{Constant, DType, Method, Node, Op, Storage, TensorType, UnaryFn};
use crate::passes::fold::decode;

pub fn run(method: &mut Method, constants: &mut Vec<Constant>) {
    let mut i = 0;
    while i < method.nodes.len() {
        if let Some(j) = sole_reader(method, i) {
            if fold_batch_norm(method, constants, i, j) || fuse_clamp(method, i, j) {
                method.nodes.remove(j);
                // The conv may now fuse again (batch norm, then relu).
                continue;
            }
        }
        i += 1;
    }
}

/// The index of the only node reading node `i`'s single output, if there is exactly one.
pub(crate) fn sole_reader(method: &Method, i: usize) -> Option<usize> {
    let out = *method.nodes[i].outputs.first()?;
    if method.nodes[i].outputs.len() != 1 || method.outputs.iter().any(|&o| method.root(o).0 == out) {
        return None;
    }
    let mut readers = method
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.inputs.iter().any(|&v| method.root(v).0 == out));
    let (j, node) = readers.next()?;
    let direct = node.inputs.iter().filter(|&&v| method.root(v).0 == out).all(|&v| v == out);
    (readers.next().is_none() && direct).then_some(j)
}

/// `conv → batch_norm` becomes one conv with scaled weights and a new bias.
fn fold_batch_norm(method: &mut Method, constants: &mut Vec<Constant>, i: usize, j: usize) -> bool {
    let (Op::Conv2d(conv), Op::BatchNorm { eps, has_weight, has_bias }) = (&method.nodes[i].op, &method.nodes[j].op) else {
        return false;
    };
    if conv.clamp.is_some() || method.nodes[j].inputs[0] != method.nodes[i].outputs[0] {
        return false;
    }
    let (eps, has_weight, has_bias) = (*eps, *has_weight, *has_bias);
    let floats = |v: usize| -> Option<Vec<f64>> {
        let (root, offset) = method.root(v);
        let Storage::Const(c) = method.values[root].storage else { return None };
        let ty = &method.values[v].ty;
        let bytes = constants[c].bytes.get(offset * 4..(offset + ty.numel()) * 4)?;
        (ty.dtype == DType::F32).then(|| bytes.chunks_exact(4).map(|b| decode(b, DType::F32)).collect())
    };
    let (conv_in, bn_in) = (&method.nodes[i].inputs, &method.nodes[j].inputs);
    let Some(w) = floats(conv_in[1]) else { return false };
    let cout = method.values[conv_in[1]].ty.shape[0];
    let bias = match conv_in.get(2) {
        Some(&b) => match floats(b) {
            Some(b) => b,
            None => return false,
        },
        None => vec![0.0; cout],
    };
    let (Some(mean), Some(var)) = (floats(bn_in[1]), floats(bn_in[2])) else { return false };
    let mut rest = bn_in[3..].iter();
    let gamma = if has_weight { rest.next().and_then(|&v| floats(v)) } else { Some(vec![1.0; cout]) };
    let beta = if has_bias { rest.next().and_then(|&v| floats(v)) } else { Some(vec![0.0; cout]) };
    let (Some(gamma), Some(beta)) = (gamma, beta) else { return false };

    // Same math as the unfused pair: (conv + b - mean) * gamma / sqrt(var + eps) + beta.
    let scale: Vec<f64> = (0..cout).map(|c| gamma[c] / (var[c] + eps).sqrt()).collect();
    let per = w.len() / cout.max(1);
    let new_w: Vec<u8> = w.iter().enumerate().flat_map(|(k, &x)| ((x * scale[k / per]) as f32).to_le_bytes()).collect();
    let new_b: Vec<u8> = (0..cout).flat_map(|c| (((bias[c] - mean[c]) * scale[c] + beta[c]) as f32).to_le_bytes()).collect();
    let w_ty = method.values[conv_in[1]].ty.clone();
    let w_id = add_const(method, constants, w_ty, new_w);
    let b_id = add_const(method, constants, TensorType { dtype: DType::F32, shape: vec![cout] }, new_b);

    let bn_out = method.nodes[j].outputs[0];
    let node = &mut method.nodes[i];
    node.inputs.truncate(1);
    node.inputs.extend([w_id, b_id]);
    node.outputs = vec![bn_out];
    if let Op::Conv2d(c) = &mut node.op {
        c.has_bias = true;
    }
    true
}

/// `conv → relu | hardtanh | clamp` becomes one conv with a clamped epilogue.
fn fuse_clamp(method: &mut Method, i: usize, j: usize) -> bool {
    let clamp = match &method.nodes[j].op {
        Op::Unary(UnaryFn::Relu) => [0.0, f64::INFINITY],
        Op::Clamp { min, max } => [min.unwrap_or(f64::NEG_INFINITY), max.unwrap_or(f64::INFINITY)],
        _ => return false,
    };
    let out = method.nodes[j].outputs[0];
    let Node { op: Op::Conv2d(conv), outputs, .. } = &mut method.nodes[i] else { return false };
    if conv.clamp.is_some() || method.values[out].ty.dtype != DType::F32 {
        return false;
    }
    conv.clamp = Some(clamp);
    *outputs = vec![out];
    true
}

fn add_const(method: &mut Method, constants: &mut Vec<Constant>, ty: TensorType, bytes: Vec<u8>) -> usize {
    let c = constants.len();
    constants.push(Constant { ty: ty.clone(), bytes });
    method.values.push(crate::ir::Value { ty, storage: Storage::Const(c), source: None });
    method.values.len() - 1
}
