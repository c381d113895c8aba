//! Fuses chains of f32 elementwise ops over one tensor into one `Op::Map`.
//! Hardswish arrives as add 3, clamp 0, clamp 6, mul by x, div 6: five passes
//! over memory become one, with the same f32 operations in the same order.
//!
//! A chain starts at an op whose only non-scalar input is `x`; each next op is
//! the sole reader of the one before and reads only that result, `x` and
//! scalar constants. Every value in it is f32 with `x`'s static shape.

use crate::ir::{Constant, DType, MapArg, MapStep, Method, Node, Op, Storage, ValueId};
use crate::passes::fold::decode;
use crate::passes::fuse::sole_reader;

pub fn run(method: &mut Method, constants: &[Constant]) {
    let mut i = 0;
    while i < method.nodes.len() {
        if let Some((x, first)) = start(method, constants, i) {
            let (mut steps, mut chain) = (vec![first], vec![i]);
            while let Some(j) = sole_reader(method, chain[chain.len() - 1]) {
                let prev = method.nodes[chain[chain.len() - 1]].outputs[0];
                let Some(s) = step(method, constants, j, x, Some(prev)) else { break };
                steps.push(s);
                chain.push(j);
            }
            if steps.len() > 1 {
                // Node i is gone: what now sits there has not been looked at.
                fuse(method, x, steps, &chain);
                continue;
            }
        }
        i += 1;
    }
}

/// Node `i` as a chain's first step, with the chain's input.
fn start(method: &Method, constants: &[Constant], i: usize) -> Option<(ValueId, MapStep)> {
    let node = &method.nodes[i];
    let mut tensors = node.inputs.iter().filter(|&&v| scalar(method, constants, v).is_none());
    let x = *tensors.next()?;
    if tensors.next().is_some() {
        return None;
    }
    Some((x, step(method, constants, i, x, None)?))
}

/// Node `j` as a step over `x` and `prev`, if it is an f32 elementwise op of `x`'s shape.
fn step(method: &Method, constants: &[Constant], j: usize, x: ValueId, prev: Option<ValueId>) -> Option<MapStep> {
    let node = &method.nodes[j];
    let ty = |v: ValueId| &method.values[v].ty;
    let out = *node.outputs.first()?;
    let plain = |v: ValueId| ty(v).dtype == DType::F32 && !method.dynamic.is_dynamic(v);
    if node.outputs.len() != 1 || !plain(out) || !plain(x) || ty(out).shape != ty(x).shape {
        return None;
    }
    let arg = |v: ValueId| -> Option<MapArg> {
        if Some(v) == prev {
            Some(MapArg::Prev)
        } else if v == x {
            Some(MapArg::X)
        } else {
            scalar(method, constants, v).map(MapArg::Const)
        }
    };
    let args: Vec<MapArg> = node.inputs.iter().map(|&v| arg(v)).collect::<Option<_>>()?;
    // Past the first step, each step reads the one before.
    if prev.is_some() && !args.contains(&MapArg::Prev) {
        return None;
    }
    Some(match (&node.op, args.as_slice()) {
        (Op::Unary(f), &[x]) => MapStep::Unary { f: *f, x },
        (Op::Clamp { min, max }, &[x]) => MapStep::Clamp { min: *min, max: *max, x },
        (Op::Binary { f, alpha }, &[a, b]) => MapStep::Binary { f: *f, alpha: *alpha, a, b },
        _ => return None,
    })
}

/// The value of `v` when it is one f32 constant.
fn scalar(method: &Method, constants: &[Constant], v: ValueId) -> Option<f64> {
    let (root, offset) = method.root(v);
    let Storage::Const(c) = method.values[root].storage else { return None };
    let ty = &method.values[v].ty;
    if ty.dtype != DType::F32 || ty.numel() != 1 {
        return None;
    }
    constants.get(c)?.bytes.get(offset * 4..offset * 4 + 4).map(|b| decode(b, DType::F32))
}

/// Replaces the chain's nodes with one map at the last one's place, where every
/// input of the chain is ready; the intermediate values lose their only reader.
fn fuse(method: &mut Method, x: ValueId, steps: Vec<MapStep>, chain: &[usize]) {
    let last = chain[chain.len() - 1];
    let node = &method.nodes[last];
    method.nodes[last] = Node { op: Op::Map(steps), inputs: vec![x], outputs: node.outputs.clone(), instruction: node.instruction };
    let mut k = 0;
    method.nodes.retain(|_| {
        k += 1;
        !chain[..chain.len() - 1].contains(&(k - 1))
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{BinaryFn, TensorType, Value};

    fn value(shape: &[usize], storage: Storage) -> Value {
        Value { ty: TensorType { dtype: DType::F32, shape: shape.to_vec() }, storage, source: None }
    }

    fn node(op: Op, inputs: Vec<usize>, outputs: Vec<usize>) -> Node {
        Node { op, inputs, outputs, instruction: 0 }
    }

    /// hardswish(x) = x * clamp(x + 3, 0, 6) / 6, as ExecuTorch exports it; `extra`
    /// also makes `x + 3` a method output.
    fn hardswish(extra: bool) -> (Method, Vec<Constant>) {
        let constants = vec![
            Constant { ty: TensorType { dtype: DType::F32, shape: vec![1] }, bytes: 3f32.to_le_bytes().to_vec() },
            Constant { ty: TensorType { dtype: DType::F32, shape: vec![1] }, bytes: 6f32.to_le_bytes().to_vec() },
        ];
        let s = [1, 2, 3, 3];
        let mut values = vec![value(&s, Storage::Input(0)), value(&[1], Storage::Const(0)), value(&[1], Storage::Const(1))];
        values.extend((0..5).map(|_| value(&s, Storage::Arena))); // 3..=7
        let add = Op::Binary { f: BinaryFn::Add, alpha: 1.0 };
        let nodes = vec![
            node(add, vec![0, 1], vec![3]),
            node(Op::Clamp { min: Some(0.0), max: None }, vec![3], vec![4]),
            node(Op::Clamp { min: None, max: Some(6.0) }, vec![4], vec![5]),
            node(Op::Binary { f: BinaryFn::Mul, alpha: 1.0 }, vec![0, 5], vec![6]),
            node(Op::Binary { f: BinaryFn::Div, alpha: 1.0 }, vec![6, 2], vec![7]),
        ];
        let outputs = if extra { vec![7, 3] } else { vec![7] };
        (Method { name: "forward".into(), values, inputs: vec![0], outputs, nodes, executorch_arena: None, dynamic: Default::default() }, constants)
    }

    #[test]
    fn hardswish_becomes_one_map() {
        let (mut method, constants) = hardswish(false);
        run(&mut method, &constants);
        assert_eq!(method.nodes.len(), 1);
        let n = &method.nodes[0];
        assert_eq!((n.inputs.as_slice(), n.outputs.as_slice()), (&[0][..], &[7][..]));
        let Op::Map(steps) = &n.op else { panic!("{:?}", n.op) };
        assert_eq!(steps[0], MapStep::Binary { f: BinaryFn::Add, alpha: 1.0, a: MapArg::X, b: MapArg::Const(3.0) });
        assert_eq!(steps[3], MapStep::Binary { f: BinaryFn::Mul, alpha: 1.0, a: MapArg::X, b: MapArg::Prev });
        assert_eq!(steps.len(), 5);
    }

    #[test]
    fn a_value_read_elsewhere_ends_the_chain() {
        let (mut method, constants) = hardswish(true);
        run(&mut method, &constants);
        let ops: Vec<&str> = method.nodes.iter().map(|n| n.op.name()).collect();
        // The two clamps of `x + 3` fuse; the mul reads a second tensor, so it stays.
        assert_eq!(ops, ["add", "map", "mul", "div"]);
        assert_eq!(method.nodes[1].inputs, [3]);
    }
}
