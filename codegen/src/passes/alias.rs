//! Copies that move no data become views of their input.
//!
//! A `Copy`, or a `Gather` that reads a contiguous run, produces the same
//! bytes its input already holds at some offset: the output can point there.

use crate::ir::{Method, Op, Storage};
use crate::lower::strides;

pub fn run(method: &mut Method) {
    let mut kept = Vec::with_capacity(method.nodes.len());
    for node in std::mem::take(&mut method.nodes) {
        match view_offset(method, &node.op, &node.outputs) {
            Some(offset) if can_alias(method, node.inputs[0], node.outputs[0]) => {
                method.values[node.outputs[0]].storage = Storage::View { base: node.inputs[0], offset };
            }
            _ => kept.push(node),
        }
    }
    method.nodes = kept;
}

/// The element offset at which the output sits inside the input, if it does.
fn view_offset(method: &Method, op: &Op, outputs: &[usize]) -> Option<usize> {
    let out = &method.values[*outputs.first()?].ty;
    match op {
        Op::Copy => Some(0),
        Op::Gather { offset, strides: s } => {
            let contiguous = strides(&out.shape);
            let ok = out.shape.iter().zip(s.iter().zip(&contiguous)).all(|(&n, (a, b))| n <= 1 || a == b);
            ok.then_some(*offset)
        }
        _ => None,
    }
}

/// Method outputs are returned from the arena, so they may not alias an input or a weight.
/// A write into state is a real copy, and a read of state may not see a later write.
fn can_alias(method: &Method, input: usize, output: usize) -> bool {
    let (root, _) = method.root(input);
    method.values[output].storage == Storage::Arena
        && !matches!(method.values[root].storage, Storage::State { .. })
        && method.values[input].ty.dtype == method.values[output].ty.dtype
        && (matches!(method.values[root].storage, Storage::Arena) || !method.outputs.contains(&output))
}
