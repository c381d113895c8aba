//! What a method costs to run and to store: multiply-adds and parameters.

use std::collections::BTreeSet;

use crate::ir::{Method, Op, QOp, Storage};

/// Multiply-adds of one call: convolutions and matrix products (the rest is
/// memory-bound and not counted).
pub fn macs(m: &Method) -> u64 {
    let shape = |v: usize| &m.values[v].ty.shape;
    let numel = |v: usize| m.values[v].ty.numel() as u64;
    let last = |v: usize| shape(v).last().copied().unwrap_or(1) as u64;
    // Weights `[cout, cin / groups, k…]`: each output sums cin / groups × k… products.
    let per_output = |w: usize| numel(w) / shape(w).first().copied().unwrap_or(1).max(1) as u64;
    m.nodes
        .iter()
        .map(|n| {
            let (input, output) = (|i: usize| n.inputs.get(i).copied(), n.outputs.first().copied());
            let (Some(out), Some(a), Some(b)) = (output, input(0), input(1)) else { return 0 };
            match &n.op {
                // Every patch computes its whole region, halo included.
                Op::Int8(QOp::Patched { stages, grid, .. }) => {
                    let Some((_, regions)) = crate::passes::patch::regions(shape(a), stages, *grid)
                    else {
                        return 0;
                    };
                    let per_patch: u64 = regions
                        .iter()
                        .enumerate()
                        .map(|(s, r)| r.numel() as u64 * per_output(n.inputs[1 + 3 * s]))
                        .sum();
                    per_patch * (grid[0] * grid[1]) as u64
                }
                Op::Conv2d(_) | Op::Int8(QOp::Conv2d { .. }) => numel(out) * per_output(b),
                // 16 products per 2×2 tile and channel pair.
                Op::Winograd(_) => {
                    let (x, o) = (shape(a), shape(out));
                    16 * (o[0] * o[2].div_ceil(2) * o[3].div_ceil(2)) as u64 * (o[1] * x[1]) as u64
                }
                // Weights `[cin, cout / groups, k…]`: each input element scatters into cout / groups × k… outputs.
                Op::ConvTranspose2d(_) => numel(a) * per_output(b),
                Op::Mm | Op::Bmm | Op::Int8(QOp::Linear { .. }) | Op::LinearQ4 { .. } => numel(out) * last(a),
                // Inputs `[bias, a, b]`.
                Op::Addmm { .. } => numel(out) * last(b),
                _ => 0,
            }
        })
        .sum()
}

/// Elements of the weights this method reads, each weight counted once.
pub fn params(m: &Method, consts: &[crate::ir::Constant]) -> u64 {
    let used: BTreeSet<usize> = m
        .nodes
        .iter()
        .flat_map(|n| &n.inputs)
        .filter_map(|&v| match m.values[m.root(v).0].storage {
            Storage::Const(c) => Some(c),
            _ => None,
        })
        .collect();
    used.iter().filter_map(|&c| consts.get(c)).map(|c| c.ty.numel() as u64).sum()
}
