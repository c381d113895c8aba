//! Bounded dynamic sizes: which dims of which values are runtime sizes.
//!
//! Every dim of a bounded dynamic input starts as its own symbol. Ops carry
//! symbols to their outputs; where an op ties a symbol to a static size (the
//! inner dim of a matmul against a weight), the symbol is pinned and becomes
//! static. The symbols left free are the sizes the caller passes.

use std::collections::BTreeMap;

use crate::ir::{Dynamic, Method, Node, Op, Sym, ValueId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dim {
    Static(usize),
    Sym(usize),
}

#[derive(Debug, Default)]
pub struct Syms {
    parent: Vec<usize>,
    pinned: Vec<bool>,
    origin: Vec<Sym>,
    dims: BTreeMap<ValueId, Vec<Option<usize>>>,
}

impl Syms {
    /// Input `k` (value `id`) has a runtime size in every dim, up to `shape`.
    pub fn input(&mut self, id: ValueId, k: usize, shape: &[usize]) {
        let dims = shape
            .iter()
            .enumerate()
            .map(|(dim, &bound)| {
                self.parent.push(self.parent.len());
                // A dim of bound 1 (a batch of one) stays static.
                self.pinned.push(bound <= 1);
                self.origin.push(Sym { input: k, dim, bound });
                Some(self.parent.len() - 1)
            })
            .collect();
        self.dims.insert(id, dims);
    }

    fn find(&self, mut s: usize) -> usize {
        while self.parent[s] != s {
            s = self.parent[s];
        }
        s
    }

    fn dim(&self, method: &Method, v: ValueId, d: usize) -> Dim {
        match self.dims.get(&v).and_then(|ds| ds.get(d).copied().flatten()) {
            Some(s) if !self.pinned[self.find(s)] => Dim::Sym(self.find(s)),
            _ => Dim::Static(method.values[v].ty.shape.get(d).copied().unwrap_or(1)),
        }
    }

    /// Whether `v` has a dim that is still a free symbol.
    pub fn is_dynamic(&self, v: ValueId) -> bool {
        self.dims.get(&v).is_some_and(|ds| ds.iter().flatten().any(|&s| !self.pinned[self.find(s)]))
    }

    /// The free symbol of dim `d` of `v`, if it has one.
    pub fn sym(&self, v: ValueId, d: usize) -> Option<usize> {
        let s = self.dims.get(&v)?.get(d).copied().flatten()?;
        let root = self.find(s);
        (!self.pinned[root]).then_some(root)
    }

    /// Sets the dims of `v` (from a view or a slice whose sizes lowering resolved).
    pub fn set(&mut self, v: ValueId, dims: Vec<Option<usize>>) {
        if dims.iter().any(Option::is_some) {
            self.dims.insert(v, dims);
        }
    }

    /// `v`'s one runtime dim when every dim before it is 1: `v` is `bound`
    /// contiguous rows of static size, `(dim, sym)`.
    pub fn row(&self, method: &Method, v: ValueId) -> Option<(usize, usize)> {
        let shape = &method.values[v].ty.shape;
        let free: Vec<(usize, usize)> = (0..shape.len()).filter_map(|d| Some((d, self.sym(v, d)?))).collect();
        match free[..] {
            [(d, s)] if shape[..d].iter().all(|&n| n == 1) => Some((d, s)),
            _ => None,
        }
    }

    /// The dims of `to`, a reshape of `from` that keeps its rows: the runtime
    /// dim lands where the same rows of the same size begin.
    fn reshaped(&self, method: &Method, from: ValueId, to: ValueId) -> Option<Vec<Option<usize>>> {
        let (a, b) = (&method.values[from].ty.shape, &method.values[to].ty.shape);
        if a == b {
            return self.dims.get(&from).cloned();
        }
        let (d, s) = self.row(method, from)?;
        let inner: usize = a[d + 1..].iter().product();
        let at = (0..b.len()).find(|&e| b[..e].iter().all(|&n| n == 1) && b[e] == a[d] && b[e + 1..].iter().product::<usize>() == inner)?;
        Some((0..b.len()).map(|e| (e == at).then_some(s)).collect())
    }

    /// Views of runtime-sized values (ExecuTorch's implicit ones, a linear's
    /// `[m, k]`) take their base's rows.
    fn views(&mut self, method: &Method) {
        for v in 0..method.values.len() {
            if let crate::ir::Storage::View { base, offset: 0 } = method.values[v].storage {
                if !self.dims.contains_key(&v) && self.is_dynamic(base) {
                    if let Some(d) = self.reshaped(method, base, v) {
                        self.dims.insert(v, d);
                    }
                }
            }
        }
    }

    /// A gather (slice, select, squeeze, permute) that keeps `x`'s rows: the
    /// output dim stepping one input row, every other index inside one row.
    fn gather_rows(&self, method: &Method, x: ValueId, out: ValueId, offset: usize, strides: &[usize]) -> Option<usize> {
        let (d, _) = self.row(method, x)?;
        let xs = &method.values[x].ty.shape;
        let os = &method.values[out].ty.shape;
        let inner: usize = xs[d + 1..].iter().product();
        let at = (0..os.len()).find(|&e| os[..e].iter().all(|&n| n == 1) && os[e] == xs[d] && strides.get(e) == Some(&inner))?;
        let reach: usize = (0..os.len()).filter(|&e| e != at).map(|e| os[e].saturating_sub(1) * strides.get(e).copied().unwrap_or(0)).sum();
        (offset + reach < inner).then_some(at)
    }

    /// Gives `to` the dims of `from` (an implicit view of the same shape).
    pub fn copy_dims(&mut self, from: ValueId, to: ValueId) {
        if let Some(d) = self.dims.get(&from).cloned() {
            self.dims.insert(to, d);
        }
    }

    /// Two dims that must be equal at run time.
    fn unify(&mut self, a: Dim, b: Dim) {
        match (a, b) {
            (Dim::Sym(x), Dim::Sym(y)) if x != y => {
                let (x, y) = (self.find(x), self.find(y));
                self.parent[y] = x;
            }
            (Dim::Sym(x), Dim::Static(_)) | (Dim::Static(_), Dim::Sym(x)) => {
                let x = self.find(x);
                self.pinned[x] = true;
            }
            _ => {}
        }
    }

    /// Carries runtime sizes from the node's inputs to its outputs. Ops that
    /// cannot run on runtime sizes give static outputs; `finish` refuses them
    /// if a free symbol still reaches them.
    pub fn propagate(&mut self, method: &Method, node: &Node) {
        self.views(method);
        self.carry(method, node);
        self.views(method);
    }

    fn carry(&mut self, method: &Method, node: &Node) {
        if !node.inputs.iter().any(|&v| self.is_dynamic(v)) {
            return;
        }
        let shape = |v: ValueId| method.values[v].ty.shape.clone();
        let out = node.outputs[0];
        let rank = shape(out).len();
        let dims: Vec<Dim> = match &node.op {
            Op::Unary(_) | Op::Clamp { .. } | Op::Cast | Op::Copy | Op::Not { .. } | Op::Pow { .. } | Op::Softmax { .. }
                if shape(node.inputs[0]) == shape(out) =>
            {
                (0..rank).map(|d| self.dim(method, node.inputs[0], d)).collect()
            }
            Op::LayerNorm { .. } => (0..rank).map(|d| self.dim(method, node.inputs[0], d)).collect(),
            Op::Binary { .. } | Op::Compare(_) | Op::Logical(_) | Op::Where => self.broadcast(method, &node.inputs, rank),
            Op::Mm | Op::Addmm { .. } => {
                let (a, b) = if matches!(node.op, Op::Mm) { (node.inputs[0], node.inputs[1]) } else { (node.inputs[1], node.inputs[2]) };
                let (ak, bk) = (self.dim(method, a, 1), self.dim(method, b, 0));
                self.unify(ak, bk);
                let dims = vec![self.dim(method, a, 0), self.dim(method, b, 1)];
                if matches!(node.op, Op::Addmm { .. }) {
                    self.broadcast_into(method, node.inputs[0], &dims);
                }
                dims
            }
            Op::Copy => {
                if let Some(d) = self.reshaped(method, node.inputs[0], out) {
                    self.dims.insert(out, d);
                }
                return;
            }
            Op::Gather { offset, strides } => {
                if let (Some(at), Some((_, s))) = (self.gather_rows(method, node.inputs[0], out, *offset, strides), self.row(method, node.inputs[0])) {
                    self.dims.insert(out, (0..rank).map(|e| (e == at).then_some(s)).collect());
                }
                return;
            }
            Op::Concat { dim } => {
                let rows: Vec<Option<(usize, usize)>> = node.inputs.iter().map(|&v| self.row(method, v)).collect();
                let Some(Some((d, s))) = rows.first().copied() else { return };
                if d >= *dim || rows.iter().any(|r| r.is_none_or(|(e, _)| e != d)) {
                    return;
                }
                for r in rows.iter().flatten() {
                    self.unify(Dim::Sym(s), Dim::Sym(r.1));
                }
                (0..rank).map(|e| if e == d { Dim::Sym(self.find(s)) } else { Dim::Static(shape(out)[e]) }).collect()
            }
            Op::Mean { dims: rd } | Op::Reduce { dims: rd, .. } | Op::Any { dims: rd } => {
                let Some((d, s)) = self.row(method, node.inputs[0]) else { return };
                // Reduced dims after the rows, kept or dropped, leave the rows in place.
                if rd.iter().any(|&r| r <= d) {
                    return;
                }
                (0..rank).map(|e| if e == d { Dim::Sym(s) } else { Dim::Static(shape(out)[e]) }).collect()
            }
            Op::IndexSelect { dim: 0, embedding: true } => {
                let index = node.inputs[1];
                let r = shape(index).len();
                (0..rank).map(|e| if e < r { self.dim(method, index, e) } else { Dim::Static(shape(out)[e]) }).collect()
            }
            Op::Sdpa { .. } => (0..rank).map(|d| self.dim(method, node.inputs[0], d)).collect(),
            _ => return,
        };
        if dims.iter().any(|d| matches!(d, Dim::Sym(_))) {
            let ds = dims.iter().map(|d| if let Dim::Sym(s) = d { Some(*s) } else { None }).collect();
            self.dims.insert(out, ds);
        }
    }

    /// Output dims of a broadcast over `inputs`, unifying the symbols met.
    fn broadcast(&mut self, method: &Method, inputs: &[ValueId], rank: usize) -> Vec<Dim> {
        (0..rank)
            .map(|d| {
                let mut acc = Dim::Static(1);
                for &v in inputs {
                    let r = method.values[v].ty.shape.len();
                    let Some(vd) = (d + r).checked_sub(rank) else { continue };
                    acc = self.merge(acc, self.dim(method, v, vd));
                }
                acc
            })
            .collect()
    }

    /// `v` broadcast against the given output dims.
    fn broadcast_into(&mut self, method: &Method, v: ValueId, out: &[Dim]) {
        let r = method.values[v].ty.shape.len();
        for (vd, d) in (out.len().saturating_sub(r)..out.len()).enumerate() {
            let x = self.dim(method, v, vd);
            self.merge(out[d], x);
        }
    }

    /// A static 1 broadcasts; anything else must match.
    fn merge(&mut self, acc: Dim, x: Dim) -> Dim {
        match (acc, x) {
            (Dim::Static(1), x) | (x, Dim::Static(1)) => x,
            (a, b) => {
                self.unify(a, b);
                match (a, b) {
                    (Dim::Static(n), _) | (_, Dim::Static(n)) => Dim::Static(n),
                    (Dim::Sym(s), _) => Dim::Sym(self.find(s)),
                }
            }
        }
    }

    /// The free symbols, in input order, and every value's dims in terms of
    /// them. Fails on a node that cannot run on a runtime size it receives.
    pub fn finish(mut self, method: &Method) -> Result<Dynamic, (usize, String)> {
        self.views(method);
        let mut free: BTreeMap<usize, usize> = BTreeMap::new();
        let mut syms = Vec::new();
        for s in 0..self.parent.len() {
            let root = self.find(s);
            if !self.pinned[root] && !free.contains_key(&root) {
                free.insert(root, syms.len());
                syms.push(self.origin[root].clone());
            }
        }
        let mut dims = BTreeMap::new();
        for (&v, ds) in &self.dims {
            let resolved: Vec<Option<usize>> = ds.iter().map(|s| s.and_then(|s| free.get(&self.find(s)).copied())).collect();
            if resolved.iter().any(Option::is_some) {
                dims.insert(v, resolved);
            }
        }
        for node in &method.nodes {
            let dynamic = node.inputs.iter().chain(&node.outputs).any(|v| dims.contains_key(v));
            let capable = match &node.op {
                Op::Unary(_) | Op::Clamp { .. } | Op::Cast | Op::Not { .. } | Op::Pow { .. } | Op::Softmax { .. } => true,
                Op::Copy => node.outputs.iter().all(|o| dims.contains_key(o)),
                Op::LayerNorm { inner, .. } => {
                    // The normalised dims must stay static.
                    let x = &method.values[node.inputs[0]].ty.shape;
                    let mut keep = x.len();
                    let mut n = 1;
                    while n < *inner && keep > 0 {
                        keep -= 1;
                        n *= x[keep];
                    }
                    dims.get(&node.inputs[0]).is_none_or(|ds| ds[keep..].iter().all(Option::is_none))
                }
                Op::Binary { .. } | Op::Compare(_) | Op::Logical(_) | Op::Where | Op::Mm | Op::Addmm { .. } => true,
                // Row by row: every runtime-sized operand is rows of one size.
                Op::Gather { .. } | Op::Concat { .. } | Op::Mean { .. } | Op::Reduce { .. } | Op::Any { .. } | Op::IndexSelect { embedding: true, .. } => {
                    self.rows_of_one_size(method, node)
                }
                // The rows of the value (query) are the runtime size; the caches are static.
                Op::UpdateCache => self.row(method, node.inputs[0]).is_some() && !self.is_dynamic(node.outputs[0]),
                Op::Sdpa { .. } => {
                    self.row(method, node.inputs[0]).is_some() && node.inputs[1..].iter().chain(&node.outputs[1..]).all(|&v| !self.is_dynamic(v))
                }
                Op::SliceRows { .. } => node.inputs.iter().chain(&node.outputs).all(|&v| !self.is_dynamic(v) || self.row(method, v).is_some()),
                Op::Fill { .. } => true,
                _ => false,
            };
            if dynamic && !capable {
                return Err((node.instruction, format!("`{}` cannot run on a tensor of runtime size yet", node.op.name())));
            }
        }
        for (v, value) in method.values.iter().enumerate() {
            if let crate::ir::Storage::View { base, .. } = value.storage {
                let user = method.nodes.iter().find(|n| n.inputs.contains(&v) || n.outputs.contains(&v));
                if let (true, false, Some(n)) = (dims.contains_key(&base), dims.contains_key(&v), user) {
                    return Err((n.instruction, "a view reshapes a tensor of runtime size across its runtime dim".into()));
                }
            }
        }
        Ok(Dynamic { syms, dims })
    }

    /// Every runtime-sized operand of `node` is rows of one runtime size,
    /// so the node can run row by row.
    fn rows_of_one_size(&self, method: &Method, node: &Node) -> bool {
        // A runtime-sized input with a static output reads across the rows.
        if node.outputs.iter().any(|&o| !self.is_dynamic(o)) {
            return false;
        }
        let mut sym = None;
        node.inputs.iter().chain(&node.outputs).filter(|&&v| self.is_dynamic(v)).all(|&v| match self.row(method, v) {
            Some((_, s)) => *sym.get_or_insert(s) == s,
            None => false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{DType, Node, Storage, TensorType, Value};

    fn value(shape: &[usize], storage: Storage) -> Value {
        Value { ty: TensorType { dtype: DType::F32, shape: shape.to_vec() }, storage, source: None }
    }

    /// input [8, 16] (dynamic) @ weight [16, 4] -> [8, 4], then `op` on it.
    fn method(op: Op) -> Method {
        let values = vec![
            value(&[8, 16], Storage::Input(0)),
            value(&[16, 4], Storage::Const(0)),
            value(&[8, 4], Storage::Arena),
            value(&[8, 4], Storage::Arena),
        ];
        let nodes = vec![
            Node { op: Op::Mm, inputs: vec![0, 1], outputs: vec![2], instruction: 0 },
            Node { op, inputs: vec![2], outputs: vec![3], instruction: 1 },
        ];
        Method { name: "forward".into(), values, inputs: vec![0], outputs: vec![3], nodes, executorch_arena: None, dynamic: Dynamic::default() }
    }

    fn run(m: &Method) -> Result<Dynamic, (usize, String)> {
        let mut syms = Syms::default();
        syms.input(0, 0, &[8, 16]);
        for node in &m.nodes {
            syms.propagate(m, node);
        }
        syms.finish(m)
    }

    #[test]
    fn matmul_pins_the_inner_dim_and_keeps_the_batch() {
        let d = run(&method(Op::Unary(crate::ir::UnaryFn::Relu))).unwrap();
        assert_eq!(d.syms, [Sym { input: 0, dim: 0, bound: 8 }]);
        assert_eq!(d.dims[&0], [Some(0), None]);
        assert_eq!(d.dims[&3], [Some(0), None]);
    }

    #[test]
    fn an_op_without_runtime_sizes_is_refused() {
        let gather = Op::Gather { offset: 0, strides: vec![1, 4] };
        let (instruction, message) = run(&method(gather)).unwrap_err();
        assert_eq!(instruction, 1);
        assert!(message.contains("`gather` cannot run on a tensor of runtime size"), "{message}");
    }

    #[test]
    fn broadcasting_against_a_full_static_shape_pins_every_dim() {
        let mut m = method(Op::Binary { f: crate::ir::BinaryFn::Add, alpha: 1.0 });
        m.values.push(value(&[8, 4], Storage::Const(1)));
        m.nodes[1].inputs.push(4);
        let d = run(&m).unwrap();
        assert!(d.syms.is_empty() && d.dims.is_empty(), "{d:?}");
    }

    #[test]
    fn the_dynamic_mlp_fixture_takes_its_batch() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/dynamic_mlp/model.pte");
        let g = crate::generate(&std::fs::read(path).unwrap(), &crate::Config::new("m")).unwrap();
        assert_eq!(g.summary.methods[0].sizes, [Sym { input: 0, dim: 0, bound: 8 }]);
        assert_eq!(g.summary.methods[0].dynamic_inputs, [true]);
        assert!(g.model_rs.contains("x0_dim0: usize") && g.model_rs.contains("Result<&[f32], ::etch_kernels::Error>"));
    }

    #[test]
    fn the_dynamic_llama_takes_its_prompt_length() {
        for form in ["llama_et_dyn_xnnpack", "llama_et_dyn_portable"] {
            let path = format!("{}/../tests/fixtures/{form}/model.pte", env!("CARGO_MANIFEST_DIR"));
            let g = crate::generate(&std::fs::read(path).unwrap(), &crate::Config::new("m")).unwrap();
            let forward = g.summary.methods.iter().find(|m| m.name == "forward").unwrap();
            // The batch (bound 1) stays static: only the sequence is a runtime size.
            assert_eq!(forward.sizes, [Sym { input: 0, dim: 1, bound: 31 }], "{form}");
            assert!(g.model_rs.contains("x0_dim1: usize") && g.model_rs.contains("slice_rows"), "{form}");
        }
    }
}
