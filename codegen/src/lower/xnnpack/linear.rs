//! FullyConnected and the weights of both it and convolutions.

use super::layout::identity;
use super::X;
use crate::error::Result;
use crate::ir::{DType, Op, Storage, TensorType, ValueId};
use crate::passes::fold::decode;
use crate::pte::xnnpack::{DataType, Node, Quant};

/// XNNPACK's flag for a `[k, n]` filter instead of `[n, k]`.
const TRANSPOSE_WEIGHTS: u32 = 1;

/// `[.., k] x [n, k]^T + bias = [.., n]`, as addmm (or mm) on `[m, k]`.
pub fn fully_connected(x: &mut X<'_, '_, '_, '_>, node: &Node, input: u32, w: u32, bias: Option<u32>) -> Result<()> {
    if node.flags & !TRANSPOSE_WEIGHTS != 0 {
        return Err(x.cx.invalid(format!("flags {:#x} are not supported", node.flags)));
    }
    if super::blockwise::fully_connected(x, node, input, w, bias)? {
        return Ok(());
    }
    let xs = x.value(input)?.dims.clone();
    let ws = x.value(w)?.dims.clone();
    let os = x.value(node.output)?.dims.clone();
    let transposed = node.flags & TRANSPOSE_WEIGHTS != 0;
    let (n, k) = match ws[..] {
        [a, b] if transposed => (b, a),
        [a, b] => (a, b),
        _ => return Err(x.cx.invalid(format!("filter dims {ws:?} are not 2-d"))),
    };
    let m = xs.iter().product::<usize>() / k.max(1);
    let ok = xs.last() == Some(&k) && os.last() == Some(&n) && os.iter().product::<usize>() == m * n && k > 0;
    if !ok {
        return Err(x.cx.invalid(format!("shapes do not multiply: input {xs:?}, filter {ws:?}, output {os:?}")));
    }
    let a = x.input_as(input, &identity(xs.len()))?;
    let a = x.reshape(a, vec![m, k]);
    // The IR multiplies by `[k, n]`: the filter's transpose, which constant
    // folding (or for int8, `passes/quant.rs`) takes care of.
    let w = x.weight(w, &[0, 1])?;
    let wt = if transposed {
        w
    } else {
        let t = x.cx.temp(TensorType { dtype: DType::F32, shape: vec![k, n] }, Storage::Arena);
        x.cx.push(Op::Gather { offset: 0, strides: vec![1, k] }, vec![w], vec![t]);
        t
    };
    let out = x.cx.temp(TensorType { dtype: DType::F32, shape: vec![m, n] }, Storage::Arena);
    match bias {
        Some(b) => {
            let b = x.bias(b, n)?;
            x.cx.push(Op::Addmm { beta: 1.0, alpha: 1.0 }, vec![b, a, wt], vec![out]);
        }
        None => x.cx.push(Op::Mm, vec![a, wt], vec![out]),
    }
    let out = x.reshape(out, os.clone());
    x.finish(node, out, identity(os.len()))
}

impl X<'_, '_, '_, '_> {
    /// A filter as f32, `value = result.permute(perm)`: int8 filters are
    /// dequantized per channel by an op that `passes/quant.rs` can see.
    pub(super) fn weight(&mut self, id: u32, perm: &[usize]) -> Result<ValueId> {
        let v = self.value(id)?.clone();
        // A dynamically quantized value is an activation, never a weight.
        if v.data.is_none() || v.dims.len() != perm.len() || v.dtype == DataType::QDInt8 {
            return Err(self.cx.invalid(format!("filter {id} is not a constant of rank {}", perm.len())));
        }
        if let (DataType::QBInt4, Quant::PerGroup { scales, dim: 0, group }) = (v.dtype, &v.quant) {
            return self.blockwise(&v, scales, *group, perm);
        }
        let c = self.constant(&v, perm)?;
        let ty = self.cx.shared.constants[c].ty.clone();
        let q = self.cx.temp(ty.clone(), Storage::Const(c));
        match (v.dtype, &v.quant) {
            (DataType::QCInt8, Quant::PerChannel { scales, dim }) => {
                let axis = perm.get(*dim).copied().filter(|&a| ty.shape[a] == scales.len());
                let axis = axis.ok_or_else(|| self.cx.invalid(format!("filter {id}: {} scales along dim {dim}", scales.len())))?;
                let s = self.f32_const(scales);
                let out = self.cx.temp(TensorType { dtype: DType::F32, shape: ty.shape }, Storage::Arena);
                self.cx.push(Op::DequantizePerChannel { axis }, vec![q, s], vec![out]);
                Ok(out)
            }
            // f32 as it is, per-tensor int8 dequantized like any activation.
            _ => Ok(self.float(id, &super::layout::Tracked { id: q, perm: perm.to_vec() })?.id),
        }
    }

    /// A 4-bit blockwise filter `[n, k]`, dequantized into an f32 weight now:
    /// each code times its block's scale is exact in f32, so the products
    /// match XNNPACK's integer ones up to the order of the sums.
    fn blockwise(&mut self, v: &crate::pte::xnnpack::Value, scales: &[f32], group: usize, perm: &[usize]) -> Result<ValueId> {
        let [n, k] = v.dims[..] else { return Err(self.cx.invalid(format!("blockwise filter {} is not 2-d", v.id))) };
        let row = k.div_ceil(2);
        let range = v.data.clone().unwrap_or(0..0);
        let bytes = self.cx.shared.bytes.get(range.start..range.start.saturating_add(n * row)).filter(|b| b.len() == n * row && range.len() >= n * row);
        let bytes = bytes.ok_or_else(|| self.cx.invalid(format!("filter {}: its {} bytes of 4-bit data are not in the file", v.id, n * row)))?;
        let blocks = k.div_ceil(group);
        if k % group != 0 || scales.len() != n * blocks {
            return Err(self.cx.invalid(format!("filter {}: {} scales for [{n}, {k}] in groups of {group}", v.id, scales.len())));
        }
        let mut w = Vec::with_capacity(n * k * 4);
        for o in 0..n {
            for i in 0..k {
                let b = bytes[o * row + i / 2];
                let code = if i % 2 == 0 { b & 0xf } else { b >> 4 };
                let x = (f32::from(code) - 8.0) * scales[o * blocks + i / group];
                w.extend_from_slice(&x.to_le_bytes());
            }
        }
        let c = self.cx.shared.constants.len();
        self.cx.shared.constants.push(crate::ir::Constant { ty: TensorType { dtype: DType::F32, shape: vec![n, k] }, bytes: w });
        let t = self.cx.temp(TensorType { dtype: DType::F32, shape: vec![n, k] }, Storage::Const(c));
        if perm == [0, 1] {
            return Ok(t);
        }
        let out = self.cx.temp(TensorType { dtype: DType::F32, shape: vec![k, n] }, Storage::Arena);
        self.cx.push(Op::Gather { offset: 0, strides: vec![1, k] }, vec![t], vec![out]);
        Ok(out)
    }

    /// A bias of `n` channels as an f32 weight; int32 biases are scaled now.
    pub(super) fn bias(&mut self, id: u32, n: usize) -> Result<ValueId> {
        let v = self.value(id)?.clone();
        if v.data.is_none() || v.dims.iter().product::<usize>() != n {
            return Err(self.cx.invalid(format!("bias {id} is not a constant of {n} elements")));
        }
        let c = self.constant(&v, &identity(v.dims.len()))?;
        let values: Vec<f32> = match (v.dtype, &v.quant) {
            (DataType::F32, Quant::None) => return Ok(self.cx.temp(TensorType { dtype: DType::F32, shape: vec![n] }, Storage::Const(c))),
            (DataType::QCInt32, Quant::PerChannel { scales, .. }) if scales.len() == n => {
                let bytes = &self.cx.shared.constants[c].bytes;
                bytes.chunks_exact(4).zip(scales).map(|(b, s)| decode(b, DType::I32) as f32 * s).collect()
            }
            (d, q) => return Err(self.cx.invalid(format!("bias {id}: {d:?} with {q:?} is not supported"))),
        };
        Ok(self.f32_const(&values))
    }

    pub(super) fn f32_const(&mut self, values: &[f32]) -> ValueId {
        let ty = TensorType { dtype: DType::F32, shape: vec![values.len()] };
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.cx.shared.constants.push(crate::ir::Constant { ty: ty.clone(), bytes });
        self.cx.temp(ty, Storage::Const(self.cx.shared.constants.len() - 1))
    }

    /// The same elements under a new shape (a view once `passes/alias.rs` runs).
    pub(super) fn reshape(&mut self, x: ValueId, shape: Vec<usize>) -> ValueId {
        if self.cx.ty(x).shape == shape {
            return x;
        }
        let out = self.cx.temp(TensorType { dtype: self.cx.ty(x).dtype, shape }, Storage::Arena);
        self.cx.push(Op::Copy, vec![x], vec![out]);
        out
    }
}
