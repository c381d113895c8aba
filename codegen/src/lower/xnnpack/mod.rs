//! XNNPACK delegate calls → the same IR ops as kernel calls.
//!
//! XNNPACK computes convolutions in NHWC and the partitioner wraps them in
//! transposes. Here every XNNPACK value is tracked as an IR value plus a
//! permutation (`Tracked`), so transposes cost nothing until some op needs
//! another layout: a delegated mobilenet lowers to the same NCHW graph as
//! its portable twin, and the same passes and kernels run it.
//!
//! Int8 nodes become `dequantize → f32 op → quantize` chains, the shape of
//! PT2E programs, which `passes/quant.rs` turns into int8 kernels.

mod blockwise;
mod conv;
mod elementwise;
mod layout;
mod linear;
mod shape;

use std::collections::BTreeMap;

use crate::error::Result;
use crate::ir::{Constant, DType, Op, Storage, TensorType, ValueId};
use crate::pte::xnnpack::{DataType, Graph, Kind, Node, Quant, Value};
use crate::lower::cx::Cx;
use layout::Tracked;

/// Every node type and unusual value type in `graph`, in order, with
/// whether etch can lower it.
pub fn census(graph: &Graph) -> Vec<(String, bool)> {
    let mut items: Vec<(String, bool)> = graph.nodes.iter().map(|n| (n.name.to_string(), n.kind != Kind::Unsupported)).collect();
    for v in &graph.values {
        if let DataType::Other(name) = v.dtype {
            items.push((format!("{name} tensors"), false));
        }
        if let Quant::Other(name) = v.quant {
            items.push((format!("{name} quantization"), false));
        }
    }
    items
}

/// What in `graph` etch cannot lower, named for an error message.
pub fn unsupported(graph: &Graph) -> Vec<String> {
    census(graph).into_iter().filter(|(_, ok)| !ok).map(|(name, _)| format!("xnnpack {name}")).collect()
}

/// Lowers one delegate call. `args` are its value indices: `args[k]` is the
/// value of external id `k`.
pub fn lower(cx: &mut Cx<'_, '_>, graph: &Graph, args: &[usize]) -> Result<()> {
    let mut x = X { cx, graph, args, values: BTreeMap::new() };
    for (i, node) in graph.nodes.iter().enumerate() {
        x.cx.op_name = format!("xnnpack {} (node {i})", node.name);
        x.node(node)?;
    }
    x.cx.op_name = "xnnpack outputs".into();
    for v in graph.values.iter().filter(|v| v.is_output) {
        let t = x.get(v.id)?;
        // A channels-last tensor's XNNPACK dims are its memory's: etch's row-major value permuted.
        let order = x.cx.layout_of(x.arg(v)?).filter(|o| o.len() == v.dims.len());
        let src = x.ensure(&t, &order.unwrap_or_else(|| layout::identity(v.dims.len())))?;
        let out = x.cx.output(x.arg(v)?)?;
        if x.cx.ty(out).numel() != x.cx.ty(src).numel() || x.cx.ty(out).dtype != x.cx.ty(src).dtype {
            return Err(x.cx.invalid(format!("output value {} does not match the program's tensor {:?}", v.id, x.cx.ty(out))));
        }
        x.cx.push(Op::Copy, vec![src], vec![out]);
    }
    Ok(())
}

/// Lowering state of one delegate call.
struct X<'c, 'a, 'p, 'g> {
    cx: &'c mut Cx<'a, 'p>,
    graph: &'g Graph,
    args: &'g [usize],
    /// XNNPACK value id → where its elements are.
    values: BTreeMap<u32, Tracked>,
}

impl X<'_, '_, '_, '_> {
    fn node(&mut self, node: &Node) -> Result<()> {
        match &node.kind {
            Kind::Conv { conv, x, w, bias } => conv::lower(self, node, conv, *x, *w, *bias),
            Kind::FullyConnected { x, w, bias } => linear::fully_connected(self, node, *x, *w, *bias),
            Kind::Binary { f, a, b } => elementwise::binary(self, node, *f, *a, *b),
            Kind::Unary { f, x } => elementwise::unary(self, node, *f, *x),
            Kind::Pool { pool, x } => shape::pool(self, node, pool, *x),
            Kind::ArgMaxPool { pool, x, index } => shape::argmax_pool(self, node, pool, *x, *index),
            Kind::Transpose { perm, x } => shape::transpose(self, node, perm, *x),
            Kind::Reshape { x } => shape::reshape(self, node, *x),
            Kind::Concat { axis, inputs } => shape::concat(self, node, *axis, inputs),
            Kind::Pad { before, after, value, x } => shape::pad(self, node, before, after, *value, *x),
            Kind::Slice { offsets, sizes, x } => shape::slice(self, node, offsets, sizes, *x),
            Kind::ResizeBilinear { x } => shape::resize(self, node, *x),
            Kind::LeakyRelu { slope, x } => elementwise::map(self, node, Op::LeakyRelu { slope: f64::from(*slope) }, *x),
            Kind::Elu { alpha, x } => elementwise::map(self, node, Op::Elu { alpha: f64::from(*alpha), scale: 1.0, input_scale: 1.0 }, *x),
            Kind::Unsupported => Err(self.cx.invalid("node type is not supported")),
        }
    }

    fn value(&self, id: u32) -> Result<&Value> {
        self.graph.value(id).ok_or_else(|| self.cx.invalid(format!("value id {id} does not exist")))
    }

    /// The program value an external XNNPACK value stands for.
    fn arg(&self, v: &Value) -> Result<usize> {
        let k = v.external.ok_or_else(|| self.cx.invalid(format!("value {} is not external", v.id)))?;
        self.args.get(k).copied().ok_or_else(|| {
            self.cx.invalid(format!("value {} is argument {k}, but the call has {} arguments", v.id, self.args.len()))
        })
    }

    /// A value as read by a node: computed earlier, a weight, or a call input.
    fn get(&mut self, id: u32) -> Result<Tracked> {
        if let Some(t) = self.values.get(&id) {
            return Ok(t.clone());
        }
        let v = self.value(id)?.clone();
        let ty = TensorType { dtype: dtype(&v), shape: v.dims.clone() };
        let ir = if v.data.is_some() {
            let c = self.constant(&v, &layout::identity(v.dims.len()))?;
            self.cx.temp(ty, Storage::Const(c))
        } else if v.is_input {
            let arg = self.arg(&v)?;
            let input = self.cx.input(arg)?;
            let it = self.cx.ty(input).clone();
            if it.numel() != ty.numel() || it.dtype != ty.dtype {
                return Err(self.cx.invalid(format!("input value {id} {:?} does not match the program's tensor {it:?}", v.dims)));
            }
            if let Some(order) = self.cx.layout_of(arg).filter(|o| o.iter().map(|&d| it.shape[d]).eq(v.dims.iter().copied())) {
                let t = Tracked { id: input, perm: order };
                self.values.insert(id, t.clone());
                return Ok(t);
            }
            if it.shape == ty.shape {
                input
            } else {
                // XNNPACK gives scalars the shape [1].
                let view = self.cx.temp(ty, Storage::Arena);
                self.cx.push(Op::Copy, vec![input], vec![view]);
                view
            }
        } else {
            return Err(self.cx.invalid(format!("value {id} is read before any node writes it")));
        };
        let t = Tracked::plain(ir, v.dims.len());
        self.values.insert(id, t.clone());
        Ok(t)
    }

    /// `t`'s elements laid out so that the XNNPACK value is `result.permute(perm)`.
    fn ensure(&mut self, t: &Tracked, perm: &[usize]) -> Result<ValueId> {
        if t.perm == perm {
            return Ok(t.id);
        }
        if t.perm.len() != perm.len() {
            return Err(self.cx.invalid(format!("a rank-{} value is read as rank {}", t.perm.len(), perm.len())));
        }
        let shape = self.cx.ty(t.id).shape.clone();
        let (order, strides) = layout::gather(&shape, &t.perm, perm);
        let ty = TensorType { dtype: self.cx.ty(t.id).dtype, shape: order };
        let out = self.cx.temp(ty, Storage::Arena);
        self.cx.push(Op::Gather { offset: 0, strides }, vec![t.id], vec![out]);
        Ok(out)
    }

    /// A weight as a new constant `y` with `value = y.permute(perm)`.
    fn constant(&mut self, v: &Value, perm: &[usize]) -> Result<usize> {
        let dtype = dtype(v);
        let n = v.dims.iter().product::<usize>() * dtype.size();
        let range = v.data.clone().unwrap_or(0..0);
        let bytes = range
            .end
            .checked_sub(range.start)
            .filter(|&len| len >= n)
            .and_then(|_| self.cx.shared.bytes.get(range.start..range.start + n))
            .ok_or_else(|| self.cx.invalid(format!("value {}: its {n} bytes of data are not in the file", v.id)))?;
        let (shape, strides) = layout::gather(&v.dims, &layout::identity(v.dims.len()), perm);
        let bytes = crate::passes::fold::gather(bytes, dtype.size(), 0, &strides, &shape);
        self.cx.shared.constants.push(Constant { ty: TensorType { dtype, shape }, bytes });
        Ok(self.cx.shared.constants.len() - 1)
    }

    /// An f32 view of `t`: dequantized when the XNNPACK value is int8.
    fn float(&mut self, id: u32, t: &Tracked) -> Result<Tracked> {
        match (self.value(id)?.dtype, self.value(id)?.quant.clone()) {
            // Held as the f32 values its int8 codes stand for.
            (DataType::F32, _) | (DataType::QDInt8, Quant::PerRow { .. }) => Ok(t.clone()),
            (DataType::QInt8, Quant::PerTensor { scale, zero_point }) => {
                let shape = self.cx.ty(t.id).shape.clone();
                let out = self.cx.temp(TensorType { dtype: DType::F32, shape }, Storage::Arena);
                let op = Op::Dequantize { scale: f64::from(scale), zero_point: i64::from(zero_point) };
                self.cx.push(op, vec![t.id], vec![out]);
                Ok(Tracked { id: out, perm: t.perm.clone() })
            }
            (d, q) => Err(self.cx.invalid(format!("value {id}: {d:?} with {q:?} is not supported here"))),
        }
    }

    /// Reads `id` as f32 in any layout.
    fn input(&mut self, id: u32) -> Result<Tracked> {
        let t = self.get(id)?;
        self.float(id, &t)
    }

    /// Reads `id` for a node that only moves elements: int8 as it is when the
    /// output has the same quantization (no dequantize → quantize round trip).
    fn moved(&mut self, id: u32, node: &Node) -> Result<Tracked> {
        let (a, b) = (self.value(id)?, self.value(node.output)?);
        let same = a.dtype == DataType::QInt8 && (a.dtype, &a.quant) == (b.dtype, &b.quant);
        if same && node.clamp.is_none() {
            self.get(id)
        } else {
            self.input(id)
        }
    }

    /// Reads `id` as f32, laid out for `perm`.
    fn input_as(&mut self, id: u32, perm: &[usize]) -> Result<ValueId> {
        let t = self.input(id)?;
        self.ensure(&t, perm)
    }

    /// A new f32 IR value for node `node`'s output, in the layout `perm`.
    fn result(&mut self, node: &Node, perm: &[usize]) -> Result<ValueId> {
        self.result_as(node, perm, DType::F32)
    }

    fn result_as(&mut self, node: &Node, perm: &[usize], dtype: DType) -> Result<ValueId> {
        let dims = self.value(node.output)?.dims.clone();
        if dims.len() != perm.len() {
            return Err(self.cx.invalid(format!("output dims {dims:?} do not have rank {}", perm.len())));
        }
        let shape = layout::stored_shape(&dims, perm);
        Ok(self.cx.temp(TensorType { dtype, shape }, Storage::Arena))
    }

    /// Records `r` (layout `perm`) as node `node`'s output: clamped by its
    /// fused activation, and quantized when the output is int8 and `r` is f32.
    /// An int8 op's clamp goes after a quantize, where `passes/quant.rs` folds it in.
    fn finish(&mut self, node: &Node, r: ValueId, perm: Vec<usize>) -> Result<()> {
        let out = self.value(node.output)?.clone();
        // Every op checked its shapes; this catches a node whose output
        // value disagrees with what it computed.
        if perm.len() != out.dims.len() || layout::stored_shape(&out.dims, &perm) != self.cx.ty(r).shape {
            return Err(self.cx.invalid(format!("output value {} has dims {:?}, the node computes {:?}", out.id, out.dims, self.cx.ty(r).shape)));
        }
        let clamp = node.clamp.filter(|[lo, hi]| lo.is_finite() || hi.is_finite());
        let mut t = Tracked { id: r, perm };
        match (out.dtype, &out.quant) {
            (DataType::F32, _) => {
                if let Some(c) = clamp {
                    t.id = self.clamp(t.id, c);
                }
            }
            (DataType::QInt8, &Quant::PerTensor { scale, zero_point }) => {
                if self.cx.ty(t.id).dtype != DType::I8 {
                    t.id = self.quantize(t.id, scale, zero_point);
                }
                if let Some(c) = clamp {
                    let f = self.float(node.output, &t)?;
                    let c = self.clamp(f.id, c);
                    t.id = self.quantize(c, scale, zero_point);
                }
            }
            (DataType::QDInt8, &Quant::PerRow { dims }) if dims <= out.dims.len() => {
                let x = self.ensure(&t, &layout::identity(out.dims.len()))?;
                let q = self.cx.temp(self.cx.ty(x).clone(), Storage::Arena);
                let row = out.dims[out.dims.len() - dims..].iter().product();
                self.cx.push(Op::DynamicQuant { row }, vec![x], vec![q]);
                t = Tracked::plain(q, out.dims.len());
            }
            (d, q) => return Err(self.cx.invalid(format!("output {}: {d:?} with {q:?} is not supported", node.output))),
        }
        self.values.insert(node.output, t);
        Ok(())
    }

    fn clamp(&mut self, x: ValueId, [lo, hi]: [f32; 2]) -> ValueId {
        let out = self.cx.temp(self.cx.ty(x).clone(), Storage::Arena);
        let bound = |v: f32| v.is_finite().then_some(f64::from(v));
        self.cx.push(Op::Clamp { min: bound(lo), max: bound(hi) }, vec![x], vec![out]);
        out
    }

    fn quantize(&mut self, x: ValueId, scale: f32, zero_point: i32) -> ValueId {
        let shape = self.cx.ty(x).shape.clone();
        let out = self.cx.temp(TensorType { dtype: DType::I8, shape }, Storage::Arena);
        let op = Op::Quantize { scale: f64::from(scale), zero_point: i64::from(zero_point), min: -128, max: 127 };
        self.cx.push(op, vec![x], vec![out]);
        out
    }
}

/// The IR element type holding an XNNPACK value.
fn dtype(v: &Value) -> DType {
    match v.dtype {
        DataType::QInt8 | DataType::QCInt8 => DType::I8,
        DataType::QCInt32 | DataType::Int32 => DType::I32,
        DataType::F32 | DataType::QDInt8 | DataType::QBInt4 | DataType::Other(_) => DType::F32,
    }
}
