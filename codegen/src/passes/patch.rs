//! Patch-based execution (MCUNetV2) of the leading chain of int8
//! convolutions: the chain becomes one `QOp::Patched` node that runs it once
//! per patch of its last output, on buffers sized for one patch and its halo
//! (`etch_kernels::quant::patched`), so the early activations, the largest,
//! never exist whole. The memory plan then sees one scratch value for those
//! buffers instead of the chain's full activations.
//!
//! The pass tries every end of the chain (and, on grid 0, every grid of rows
//! and columns that divides the last output) and keeps the smallest arena,
//! then the fewest multiply-adds, if it beats the unpatched one. Halos are
//! recomputed by each patch that needs them: the multiply-adds grow, which
//! the report says.
//!
//! When the chain reads the quantize of the method's input, the quantize
//! folds into it: the chain takes the input row by row, top to bottom, and
//! keeps only the rows one row of patches reads, so the int8 input never
//! exists whole either (the int8 entry point then takes rows from the caller).

use crate::ir::{DType, Method, Node, Op, PatchStage, PatchStream, QOp, Storage, TensorType, Value, ValueId};
use crate::passes::plan::plan;

/// What patching does, or would do, to a method's arena.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchReport {
    /// Whether the method runs patched (the option is on and it helps).
    pub applied: bool,
    /// `grid[0] × grid[1]` patches (rows × columns) over the chain's last output.
    pub grid: [usize; 2],
    /// Convolutions in the patched chain.
    pub convs: usize,
    pub arena_without: usize,
    pub arena_with: usize,
    pub macs_without: u64,
    pub macs_with: u64,
    /// The chain reads the method's input row by row (its quantize folded in),
    /// so the int8 input never exists whole: the int8 entry point takes rows.
    pub streams_input: bool,
}

/// One patch's region of a tensor: patch `(i, j)` covers `len` from
/// `origin + (i, j) · step`, in the coordinates of its `channels × image`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub channels: usize,
    pub image: [usize; 2],
    pub origin: [i64; 2],
    pub step: [usize; 2],
    pub len: [usize; 2],
}

impl Region {
    pub fn numel(&self) -> usize {
        self.channels * self.len[0] * self.len[1]
    }
}

/// The input's region and each stage's output region, back from the last
/// output's patches, or `None` when the grid does not divide it.
pub(crate) fn regions(
    x: &[usize],
    stages: &[PatchStage],
    grid: [usize; 2],
) -> Option<(Region, Vec<Region>)> {
    let last = stages.last()?;
    let (h, w) = (last.out_shape[2], last.out_shape[3]);
    if grid[0] < 1 || grid[1] < 1 || h % grid[0] != 0 || w % grid[1] != 0 {
        return None;
    }
    let (mut origin, mut step, mut len) = ([0i64; 2], [h / grid[0], w / grid[1]], [h / grid[0], w / grid[1]]);
    let mut out = Vec::with_capacity(stages.len());
    for s in stages.iter().rev() {
        out.push(Region {
            channels: s.out_shape[1],
            image: [s.out_shape[2], s.out_shape[3]],
            origin,
            step,
            len,
        });
        let c = &s.conv;
        for d in 0..2 {
            origin[d] = origin[d] * c.stride[d] as i64 - c.padding[d] as i64;
            step[d] *= c.stride[d];
            len[d] = (len[d] - 1) * c.stride[d] + (s.kernel[d] - 1) * c.dilation[d] + 1;
        }
    }
    out.reverse();
    Some((
        Region {
            channels: x[1],
            image: [x[2], x[3]],
            origin,
            step,
            len,
        },
        out,
    ))
}

/// Scratch elements: the largest two consecutive buffers, which sit at its two ends.
pub(crate) fn scratch(input: &Region, outs: &[Region]) -> usize {
    let mut lens = vec![input.numel()];
    lens.extend(outs.iter().map(Region::numel));
    lens.windows(2).map(|p| p[0] + p[1]).max().unwrap_or(0)
}

/// Patches the method when `grid` is set and it helps (`g` for `g × g`
/// patches, 0 for the best grid of any rows and columns); reports the best
/// patching either way, when the method has a chain.
pub fn run(method: &mut Method, grid: Option<usize>) -> Option<PatchReport> {
    let (start, end) = chain(method)?;
    let without = plan(method).bytes();
    let macs_without = crate::cost::macs(method);
    // The smallest arena, then the fewest multiply-adds: once the rest of the
    // method sets the arena, a coarser grid recomputes less.
    let mut best: Option<((usize, u64), [usize; 2], usize, Method)> = None;
    for last in start + 1..=end {
        let out = &method.values[method.nodes[last].outputs[0]].ty.shape;
        let grids: Vec<[usize; 2]> = match grid {
            Some(g) if g > 0 => vec![[g, g]],
            _ => (1..=out[2]).flat_map(|r| (1..=out[3]).map(move |c| [r, c])).filter(|&g| g != [1, 1]).collect(),
        };
        for g in grids {
            let Some(m) = patched(method, start, last, g) else {
                continue;
            };
            let cost = (plan(&m).bytes(), crate::cost::macs(&m));
            if best.as_ref().is_none_or(|b| cost < b.0) {
                best = Some((cost, g, last - start + 1, m));
            }
        }
    }
    let ((with, macs_with), g, convs, m) = best?;
    let report = PatchReport {
        applied: grid.is_some() && with < without,
        grid: g,
        convs,
        arena_without: without,
        arena_with: with,
        macs_without,
        macs_with,
        streams_input: m.nodes.iter().any(|n| matches!(n.op, Op::Int8(QOp::Patched { stream: Some(_), .. }))),
    };
    if report.applied {
        *method = m;
    }
    Some(report)
}

/// The first run of two or more int8 convolutions over one image, each
/// reading only its predecessor's output, which nothing else reads.
fn chain(m: &Method) -> Option<(usize, usize)> {
    let is_conv = |n: &Node| match &n.op {
        Op::Int8(QOp::Conv2d { conv, .. }) => {
            !conv.residual
                && n.outputs.len() == 1
                && m.values[n.inputs[0]].ty.shape.len() == 4
                && m.values[n.inputs[0]].ty.shape[0] == 1
        }
        _ => false,
    };
    let start = m.nodes.iter().position(is_conv)?;
    let mut end = start;
    while let Some(next) = m.nodes.get(end + 1) {
        let v = m.nodes[end].outputs[0];
        if !is_conv(next)
            || next.inputs[0] != v
            || m.values[v].storage != Storage::Arena
            || readers(m, v) != 1
        {
            break;
        }
        end += 1;
    }
    (end > start).then_some((start, end))
}

/// How many node inputs read `v` (through views too), a method output counting as one more.
fn readers(m: &Method, v: ValueId) -> usize {
    let nodes = m
        .nodes
        .iter()
        .flat_map(|n| &n.inputs)
        .filter(|&&i| m.root(i).0 == v)
        .count();
    nodes + m.outputs.iter().filter(|&&o| m.root(o).0 == v).count()
}

/// The method with nodes `start..=last` as one patched node on a `grid`.
fn patched(m: &Method, start: usize, last: usize, grid: [usize; 2]) -> Option<Method> {
    let mut stages = Vec::new();
    let mut inputs = vec![m.nodes[start].inputs[0]];
    for n in &m.nodes[start..=last] {
        let Op::Int8(QOp::Conv2d { conv, x_zp, out }) = &n.op else {
            return None;
        };
        let wt = &m.values[n.inputs[1]].ty.shape;
        stages.push(PatchStage {
            conv: conv.clone(),
            x_zp: *x_zp,
            out: *out,
            kernel: [wt[2], wt[3]],
            out_shape: m.values[n.outputs[0]].ty.shape.clone(),
        });
        inputs.extend_from_slice(&n.inputs[1..4]);
    }
    let (input, outs) = regions(&m.values[inputs[0]].ty.shape, &stages, grid)?;
    let mut m = m.clone();
    let mut bytes = scratch(&input, &outs);
    let mut stream = None;
    let (mut start, mut last) = (start, last);
    let quantizes = |q: &usize| m.nodes[*q].outputs[0] == inputs[0] && m.values[m.nodes[*q].inputs[0]].ty.dtype == DType::F32;
    if let Some(q) = m.entry_quantize().filter(quantizes) {
        let Op::Quantize { scale, zero_point, .. } = m.nodes[q].op else { return None };
        let x = &m.values[m.nodes[q].inputs[0]].ty.shape;
        let shape = [x[0], x[1], x[2], x[3]];
        stream = Some(PatchStream { scale, zero_point, rows: false, shape });
        inputs[0] = m.nodes[q].inputs[0];
        bytes += ring(&input);
        m.nodes.remove(q);
        (start, last) = (start - 1, last - 1);
    }
    m.values.push(Value {
        ty: TensorType {
            dtype: DType::I8,
            shape: vec![bytes],
        },
        storage: Storage::Arena,
        source: None,
    });
    let node = Node {
        op: Op::Int8(QOp::Patched { stages, grid, stream }),
        inputs,
        outputs: vec![m.nodes[last].outputs[0], m.values.len() - 1],
        instruction: m.nodes[start].instruction,
    };
    m.nodes.splice(start..=last, [node]);
    Some(m)
}

/// Elements of the ring of input rows a streamed chain keeps: those one row of patches reads.
pub(crate) fn ring(input: &Region) -> usize {
    input.len[0].min(input.image[0]) * input.image[1] * input.channels
}
