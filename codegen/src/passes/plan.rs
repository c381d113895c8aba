//! Static memory plan: every arena value gets a fixed offset in the pool of its dtype.
//!
//! Values whose lifetimes overlap never share bytes. Placement is greedy by
//! size, largest first, at the lowest offset that fits: the classic offline
//! strategy, which usually beats ExecuTorch's planner.

use std::collections::BTreeMap;

use crate::ir::{DType, Method, Storage, ValueId};

/// Offsets are aligned to this many bytes.
pub const ALIGN: usize = 16;

/// Values of at least [`LINE_MIN`] bytes start on a cache line of this many
/// bytes, and so does the end of a pool holding one: vector loads of a row
/// never straddle two lines, and threads writing neighbouring parts of a
/// tensor share none.
pub const LINE: usize = 64;

/// Smaller values keep [`ALIGN`], so a microcontroller's arena stays tight.
const LINE_MIN: usize = 4096;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Element offset of every planned (arena) value.
    pub offsets: BTreeMap<ValueId, usize>,
    /// Elements needed in each dtype's pool.
    pub pools: BTreeMap<DType, usize>,
}

impl Plan {
    pub fn bytes(&self) -> usize {
        self.pools.iter().map(|(d, n)| d.size() * n).sum()
    }
}

#[derive(Debug, Clone, Copy)]
struct Interval {
    value: ValueId,
    first: usize,
    last: usize,
    len: usize,
    /// Elements its offset is a multiple of.
    align: usize,
}

pub fn plan(method: &Method) -> Plan {
    let end = method.nodes.len();
    let mut life: BTreeMap<ValueId, (usize, usize)> = BTreeMap::new();
    for (i, node) in method.nodes.iter().enumerate() {
        for &o in &node.outputs {
            life.entry(o).or_insert((i, i));
        }
        for &v in &node.inputs {
            let root = method.root(v).0;
            if let Some(l) = life.get_mut(&root) {
                l.1 = l.1.max(i);
            }
        }
    }
    for &o in &method.outputs {
        if let Some(l) = life.get_mut(&method.root(o).0) {
            l.1 = end;
        }
    }

    let mut by_dtype: BTreeMap<DType, Vec<Interval>> = BTreeMap::new();
    for (&value, &(first, last)) in &life {
        if method.values[value].storage != Storage::Arena {
            continue;
        }
        let ty = &method.values[value].ty;
        let (len, size) = (ty.numel(), ty.dtype.size());
        let align = (if len * size >= LINE_MIN { LINE } else { ALIGN }) / size;
        by_dtype.entry(ty.dtype).or_default().push(Interval { value, first, last, len, align: align.max(1) });
    }

    let mut plan = Plan::default();
    for (dtype, mut items) in by_dtype {
        // A pool of small values only stays as tight as they are.
        let align = items.iter().map(|i| i.align).max().unwrap_or(1);
        // Largest first; ties by first use and id keep the plan deterministic.
        items.sort_by(|a, b| b.len.cmp(&a.len).then(a.first.cmp(&b.first)).then(a.value.cmp(&b.value)));
        // Other orders win only when strictly smaller.
        let mut best = place(&items, align);
        for order in [breadth_order(&items, end), outward_order(&items, end)] {
            let other = place(&order, align);
            if other.1 < best.1 {
                best = other;
            }
        }
        let (offsets, top) = best;
        plan.offsets.extend(offsets);
        if top > 0 {
            plan.pools.insert(dtype, top);
        }
    }
    plan
}

/// Places each interval in turn at the lowest offset of its alignment clear of
/// every placed interval it overlaps in time: the offsets and the pool's size,
/// a multiple of `align`.
fn place(items: &[Interval], align: usize) -> (Vec<(ValueId, usize)>, usize) {
    let mut placed: Vec<(Interval, usize)> = Vec::new();
    let mut top = 0;
    for &item in items {
        let mut busy: Vec<(usize, usize)> = placed
            .iter()
            .filter(|(p, _)| p.first <= item.last && item.first <= p.last)
            .map(|(p, off)| (*off, off + p.len))
            .collect();
        busy.sort_unstable();
        let mut offset = 0;
        for (start, stop) in busy {
            if offset + item.len <= start {
                break;
            }
            offset = offset.max(round_up(stop, item.align));
        }
        top = top.max(round_up(offset + item.len, align));
        placed.push((item, offset));
    }
    (placed.into_iter().map(|(i, o)| (i.value, o)).collect(), top)
}

/// Steps outward from the busiest one (t, t-1, t+1, t-2, ...), and at each
/// the values live there, largest first: a chain of layers packs around its
/// peak, each layer's values placed against those of its neighbours.
fn outward_order(items: &[Interval], steps: usize) -> Vec<Interval> {
    let live = |t: usize| -> usize { items.iter().filter(|i| i.first <= t && t <= i.last).map(|i| i.len).sum() };
    let peak = (0..=steps).max_by(|&a, &b| live(a).cmp(&live(b)).then(b.cmp(&a))).unwrap_or(0);
    let mut steps_out = vec![peak];
    for d in 1..=steps {
        steps_out.extend(peak.checked_sub(d));
        steps_out.extend(Some(peak + d).filter(|&t| t <= steps));
    }
    by_steps(items, steps_out)
}

/// The values live at each step in turn, largest first, each once.
fn by_steps(items: &[Interval], steps: Vec<usize>) -> Vec<Interval> {
    let mut taken = vec![false; items.len()];
    let mut order = Vec::with_capacity(items.len());
    for t in steps {
        for (k, i) in items.iter().enumerate() {
            if !taken[k] && i.first <= t && t <= i.last {
                taken[k] = true;
                order.push(*i);
            }
        }
    }
    order
}

/// TFLM's "greedy by breadth" order: the steps with the most live bytes
/// first, and at each the values live there, largest first. The busiest step
/// is packed tight before anything can fragment it. `items` is sorted by size.
fn breadth_order(items: &[Interval], steps: usize) -> Vec<Interval> {
    let mut breadth: Vec<(usize, usize)> = (0..=steps)
        .map(|t| (items.iter().filter(|i| i.first <= t && t <= i.last).map(|i| i.len).sum(), t))
        .collect();
    breadth.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    by_steps(items, breadth.into_iter().map(|(_, t)| t).collect())
}

fn round_up(n: usize, align: usize) -> usize {
    n.div_ceil(align) * align
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Node, Op, TensorType, Value};

    fn value(len: usize, storage: Storage) -> Value {
        Value { ty: TensorType { dtype: DType::F32, shape: vec![len] }, storage, source: None }
    }

    fn node(inputs: Vec<usize>, outputs: Vec<usize>) -> Node {
        Node { op: Op::Copy, inputs, outputs, instruction: 0 }
    }

    /// x → a → b → c: a and c may share, b may not overlap either neighbour.
    #[test]
    fn chain_reuses_memory_without_overlap() {
        let method = Method {
            name: "forward".into(),
            values: vec![value(8, Storage::Input(0)), value(8, Storage::Arena), value(8, Storage::Arena), value(8, Storage::Arena)],
            inputs: vec![0],
            outputs: vec![3],
            nodes: vec![node(vec![0], vec![1]), node(vec![1], vec![2]), node(vec![2], vec![3])],
            executorch_arena: None,
            dynamic: Default::default(),
        };
        let p = plan(&method);
        assert_eq!(p.pools[&DType::F32], 16);
        let (a, b, c) = (p.offsets[&1], p.offsets[&2], p.offsets[&3]);
        assert_ne!(a, b);
        assert_ne!(b, c);
        assert_eq!(a, c);
    }

    /// A chain of layers whose largest value comes last: placing by size leaves
    /// a gap (64,512 elements); packing outward from the peak reaches the floor,
    /// the two values of the busiest layer (18,432 + 36,864).
    #[test]
    fn a_chain_packs_to_its_busiest_layer() {
        let sizes = [27_648, 18_432, 18_432, 36_864];
        let mut values = vec![value(1, Storage::Input(0))];
        values.extend(sizes.iter().map(|&n| value(n, Storage::Arena)));
        let method = Method {
            name: "forward".into(),
            values,
            inputs: vec![0],
            outputs: vec![4],
            nodes: (0..4).map(|k| node(vec![k], vec![k + 1])).collect(),
            executorch_arena: None,
            dynamic: Default::default(),
        };
        let p = plan(&method);
        assert_eq!(p.pools[&DType::F32], 18_432 + 36_864);
        for k in 1..4 {
            let (a, b) = ((p.offsets[&k], p.offsets[&k] + sizes[k - 1]), (p.offsets[&(k + 1)], p.offsets[&(k + 1)] + sizes[k]));
            assert!(a.1 <= b.0 || b.1 <= a.0, "{k}: {a:?} {b:?}");
        }
    }

    /// A small value between two large ones: the second large one still starts
    /// on a cache line, and the pool ends on one.
    #[test]
    fn large_values_start_on_a_cache_line() {
        let values = vec![value(1, Storage::Input(0)), value(1500, Storage::Arena), value(3, Storage::Arena), value(1500, Storage::Arena)];
        let method = Method {
            name: "forward".into(),
            values,
            inputs: vec![0],
            outputs: vec![3],
            nodes: vec![node(vec![0], vec![1]), node(vec![1], vec![2]), node(vec![1, 2], vec![3])],
            executorch_arena: None,
            dynamic: Default::default(),
        };
        let p = plan(&method);
        assert_eq!(p.offsets[&3] % (LINE / 4), 0, "{:?}", p.offsets);
        assert_eq!(p.offsets[&2] % (ALIGN / 4), 0);
        assert_eq!(p.pools[&DType::F32] % (LINE / 4), 0);
    }

    /// Without a large value the pool keeps the small alignment.
    #[test]
    fn small_pools_end_on_the_small_alignment() {
        let values = vec![value(1, Storage::Input(0)), value(5, Storage::Arena), value(3, Storage::Arena)];
        let method = Method {
            name: "forward".into(),
            values,
            inputs: vec![0],
            outputs: vec![2],
            nodes: vec![node(vec![0], vec![1]), node(vec![1], vec![2])],
            executorch_arena: None,
            dynamic: Default::default(),
        };
        assert_eq!(plan(&method).pools[&DType::F32], 12);
    }

    #[test]
    fn offsets_are_aligned_and_views_extend_lifetimes() {
        let mut values = vec![value(1, Storage::Input(0)), value(3, Storage::Arena)];
        values.push(value(3, Storage::View { base: 1, offset: 0 }));
        values.push(value(5, Storage::Arena));
        values.push(value(5, Storage::Arena));
        let method = Method {
            name: "forward".into(),
            values,
            inputs: vec![0],
            outputs: vec![4],
            // 1 is read through its view 2 by the last node, so 3 may not take its place.
            nodes: vec![node(vec![0], vec![1]), node(vec![0], vec![3]), node(vec![2, 3], vec![4])],
            executorch_arena: None,
            dynamic: Default::default(),
        };
        let p = plan(&method);
        for off in p.offsets.values() {
            assert_eq!(off % 4, 0);
        }
        let spans: Vec<(usize, usize)> = [1, 3, 4].iter().map(|v| (p.offsets[v], p.offsets[v] + method.values[*v].ty.numel())).collect();
        for i in 0..3 {
            for j in i + 1..3 {
                assert!(spans[i].1 <= spans[j].0 || spans[j].1 <= spans[i].0, "{spans:?}");
            }
        }
    }
}
