//! Drops nodes whose results nobody reads, and unread optional outputs.

use std::collections::BTreeSet;

use crate::ir::{Method, Op, Storage};

pub fn run(method: &mut Method) {
    let mut live: BTreeSet<usize> = method.outputs.iter().map(|&o| method.root(o).0).collect();
    let mut kept = Vec::with_capacity(method.nodes.len());
    for mut node in std::mem::take(&mut method.nodes).into_iter().rev() {
        // max_pool's indices are optional: drop them when unread.
        if matches!(node.op, Op::MaxPool2d(_)) && node.outputs.len() == 2 && !live.contains(&node.outputs[1]) {
            node.outputs.pop();
        }
        // Writes into state outlive the call.
        let state = node.outputs.iter().any(|&o| matches!(method.values[o].storage, Storage::State { .. }));
        if state || node.outputs.iter().any(|o| live.contains(o)) {
            for &i in &node.inputs {
                live.insert(method.root(i).0);
            }
            kept.push(node);
        }
    }
    kept.reverse();
    method.nodes = kept;
}
