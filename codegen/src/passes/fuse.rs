//! Folds inference batch norm into the convolution before it, and fuses a
//! following relu / hardtanh / clamp, then a residual add, into the
//! convolution's epilogue.
//!
//! Every rewrite needs the intermediate value to have exactly one reader and
//! not be a method output; then the second node disappears.

use crate::ir::{BinaryFn, Constant, ConvKernel, DType, Method, Node, Op, Storage, TensorType, UnaryFn};
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
            if fuse_residual(method, i, j) {
                // The conv takes the add's place, where its residual input is ready.
                let conv = method.nodes.remove(i);
                method.nodes[j - 1] = conv;
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
    if conv.clamp.is_some() || conv.residual || method.nodes[j].inputs[0] != method.nodes[i].outputs[0] {
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
    if conv.clamp.is_some() || conv.residual || method.values[out].ty.dtype != DType::F32 {
        return false;
    }
    conv.clamp = Some(clamp);
    *outputs = vec![out];
    true
}

/// `pointwise conv → add(conv, skip)` (either order, no alpha) becomes one conv
/// that adds `skip` in its epilogue. f32 addition commutes, so the sum is the
/// add's, bit for bit.
fn fuse_residual(method: &mut Method, i: usize, j: usize) -> bool {
    let (conv_node, add) = (&method.nodes[i], &method.nodes[j]);
    let (Op::Conv2d(conv), Op::Binary { f: BinaryFn::Add, alpha }) = (&conv_node.op, &add.op) else { return false };
    let y = conv_node.outputs[0];
    let ty = |v: usize| &method.values[v].ty;
    let skip = match add.inputs[..] {
        [a, b] if a == y && b != y => b,
        [a, b] if b == y && a != y => a,
        _ => return false,
    };
    let (x, w) = (&ty(conv_node.inputs[0]).shape, &ty(conv_node.inputs[1]).shape);
    let out = add.outputs[0];
    let f32s = [y, skip, out].iter().all(|&v| ty(v).dtype == DType::F32);
    if *alpha != 1.0 || conv.residual || !f32s || ty(skip).shape != ty(y).shape || ty(out).shape != ty(y).shape || conv.kernel(x, w) != ConvKernel::Pointwise {
        return false;
    }
    let node = &mut method.nodes[i];
    node.inputs.push(skip);
    node.outputs = vec![out];
    if let Op::Conv2d(c) = &mut node.op {
        c.residual = true;
    }
    true
}

fn add_const(method: &mut Method, constants: &mut Vec<Constant>, ty: TensorType, bytes: Vec<u8>) -> usize {
    let c = constants.len();
    constants.push(Constant { ty: ty.clone(), bytes });
    method.values.push(crate::ir::Value { ty, storage: Storage::Const(c), source: None });
    method.values.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Conv2d, Value};

    fn value(shape: &[usize], storage: Storage) -> Value {
        Value { ty: TensorType { dtype: DType::F32, shape: shape.to_vec() }, storage, source: None }
    }

    /// skip → conv(k×k, 4 → 4) → add(skip, conv) → output.
    fn block(k: usize) -> Method {
        let s = [1, 4, 3, 3];
        let values = vec![
            value(&s, Storage::Input(0)),
            value(&[4, 4, k, k], Storage::Const(0)),
            value(&s, Storage::Arena),
            value(&s, Storage::Arena),
        ];
        let p = k / 2;
        let conv = Conv2d { stride: [1, 1], padding: [p, p], dilation: [1, 1], groups: 1, has_bias: false, clamp: None, residual: false };
        let nodes = vec![
            Node { op: Op::Conv2d(conv), inputs: vec![0, 1], outputs: vec![2], instruction: 0 },
            Node { op: Op::Binary { f: BinaryFn::Add, alpha: 1.0 }, inputs: vec![0, 2], outputs: vec![3], instruction: 1 },
        ];
        Method { name: "forward".into(), values, inputs: vec![0], outputs: vec![3], nodes, executorch_arena: None, dynamic: Default::default() }
    }

    #[test]
    fn a_pointwise_conv_takes_in_the_residual_add() {
        let mut m = block(1);
        run(&mut m, &mut Vec::new());
        assert_eq!(m.nodes.len(), 1);
        let n = &m.nodes[0];
        assert_eq!((n.inputs.as_slice(), n.outputs.as_slice()), (&[0, 1, 0][..], &[3][..]));
        assert!(matches!(&n.op, Op::Conv2d(c) if c.residual));
    }

    #[test]
    fn other_convs_keep_their_add() {
        let mut m = block(3);
        run(&mut m, &mut Vec::new());
        assert_eq!(m.nodes.len(), 2);
    }
}
