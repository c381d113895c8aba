//! The lowering context: typed access to one instruction's arguments.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::ir::{Constant, DType, Method, Node, Op, Storage, TensorType, Value, ValueId};
use crate::pte::{self, EValue, ScalarType};

/// State shared by all methods: constants are deduplicated by buffer index.
pub struct Shared<'p> {
    pub program: &'p pte::Program,
    pub bytes: &'p [u8],
    pub constants: Vec<Constant>,
    pub by_buffer: BTreeMap<u32, usize>,
}

/// Lowering state of one method.
pub struct Cx<'a, 'p> {
    pub shared: &'a mut Shared<'p>,
    pub plan: &'p pte::Plan,
    pub method: Method,
    /// pte value index → IR value.
    pub map: BTreeMap<usize, ValueId>,
    /// (memory id, byte offset, bytes) → the value last written there.
    /// ExecuTorch drops view ops and lets the view share its base's memory,
    /// so a tensor read before any write is found here.
    pub writers: BTreeMap<(u32, u64, usize), ValueId>,
    /// The instruction being lowered, and its op name, for messages.
    pub instruction: usize,
    pub op_name: String,
    /// Planned tensors that a trailing `copy_` writes back: mutable state,
    /// by allocation key → the target's value index.
    pub state_targets: BTreeMap<(u32, u64, usize), usize>,
    /// Runtime sizes of bounded dynamic inputs, followed through the ops.
    pub syms: super::dynamic::Syms,
    /// Ints computed at run time (`sym_size`, `executorch_prim::*`), by pte value index.
    pub ints: BTreeMap<usize, super::ops::prim::RtInt>,
}

impl<'a, 'p> Cx<'a, 'p> {
    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::Invalid {
            method: self.method.name.clone(),
            instruction: self.instruction,
            op: self.op_name.clone(),
            message: message.into(),
        }
    }

    fn evalue(&self, index: usize) -> Result<&'p EValue> {
        self.plan
            .values
            .get(index)
            .ok_or_else(|| self.invalid(format!("value index {index} is out of range")))
    }

    /// The argument list entry `i`, as a value index.
    pub fn arg(&self, args: &[usize], i: usize) -> Result<usize> {
        args.get(i).copied().ok_or_else(|| {
            self.invalid(format!("expected at least {} arguments, found {}", i + 1, args.len()))
        })
    }

    pub fn int(&self, index: usize) -> Result<i64> {
        if let Some(r) = self.ints.get(&index) {
            return r.constant().ok_or_else(|| self.invalid(format!("value {index} is an int computed at run time ({r}); etch takes only a constant here")));
        }
        self.not_runtime(index)?;
        match self.evalue(index)? {
            EValue::Int(v) => Ok(*v),
            other => Err(self.invalid(format!("value {index}: expected an int, found {}", kind(other)))),
        }
    }

    pub fn bool(&self, index: usize) -> Result<bool> {
        match self.evalue(index)? {
            EValue::Bool(v) => Ok(*v),
            other => Err(self.invalid(format!("value {index}: expected a bool, found {}", kind(other)))),
        }
    }

    pub fn is_null(&self, index: usize) -> Result<bool> {
        Ok(matches!(self.evalue(index)?, EValue::Null))
    }

    /// A scalar value that an instruction computes (`_local_scalar_dense`) is
    /// known only at run time: only the ops that take it as a tensor read it.
    fn not_runtime(&self, index: usize) -> Result<()> {
        if self.map.contains_key(&index) && !matches!(self.evalue(index)?, EValue::Tensor(_)) {
            return Err(self.invalid(format!("value {index} is a scalar computed at run time; etch takes only a constant here")));
        }
        Ok(())
    }

    /// An int, double or bool scalar as f64.
    pub fn scalar(&self, index: usize) -> Result<f64> {
        if self.ints.contains_key(&index) {
            return self.int(index).map(|v| v as f64);
        }
        self.not_runtime(index)?;
        match self.evalue(index)? {
            EValue::Int(v) => Ok(*v as f64),
            EValue::Double(v) => Ok(*v),
            EValue::Bool(v) => Ok(f64::from(u8::from(*v))),
            other => Err(self.invalid(format!("value {index}: expected a scalar, found {}", kind(other)))),
        }
    }

    pub fn opt_scalar(&self, index: usize) -> Result<Option<f64>> {
        if self.is_null(index)? {
            Ok(None)
        } else {
            self.scalar(index).map(Some)
        }
    }

    /// An int list. ExecuTorch stores its items as indices of `Int` values.
    pub fn int_list(&self, index: usize) -> Result<Vec<i64>> {
        match self.evalue(index)? {
            EValue::IntList(items) => items
                .iter()
                .map(|&item| {
                    let i = usize::try_from(item)
                        .map_err(|_| self.invalid(format!("value {index}: bad list item {item}")))?;
                    self.int(i)
                })
                .collect(),
            other => Err(self.invalid(format!("value {index}: expected an int list, found {}", kind(other)))),
        }
    }

    /// An int list's items, as the value indices they are stored as.
    pub fn int_list_items(&self, index: usize) -> Result<Vec<usize>> {
        match self.evalue(index)? {
            EValue::IntList(items) => items
                .iter()
                .map(|&item| usize::try_from(item).map_err(|_| self.invalid(format!("value {index}: bad list item {item}"))))
                .collect(),
            other => Err(self.invalid(format!("value {index}: expected an int list, found {}", kind(other)))),
        }
    }

    pub fn opt_double_list(&self, index: usize) -> Result<Option<Vec<f64>>> {
        match self.evalue(index)? {
            EValue::Null => Ok(None),
            EValue::DoubleList(items) => Ok(Some(items.clone())),
            other => Err(self.invalid(format!("value {index}: expected a double list, found {}", kind(other)))),
        }
    }

    pub fn opt_int_list(&self, index: usize) -> Result<Option<Vec<i64>>> {
        if self.is_null(index)? {
            Ok(None)
        } else {
            self.int_list(index).map(Some)
        }
    }

    pub fn tensor_list(&self, index: usize) -> Result<Vec<usize>> {
        match self.evalue(index)? {
            EValue::TensorList(items) => Ok(items.clone()),
            other => Err(self.invalid(format!("value {index}: expected a tensor list, found {}", kind(other)))),
        }
    }

    /// Whether value `index` is a `ComplexFloat` tensor (held as f32 pairs).
    pub fn is_complex(&self, index: usize) -> bool {
        matches!(self.evalue(index), Ok(EValue::Tensor(t)) if t.scalar_type == COMPLEX_FLOAT)
    }

    pub fn is_tensor(&self, index: usize) -> bool {
        matches!(self.evalue(index), Ok(EValue::Tensor(_)))
    }

    fn pte_tensor(&self, index: usize) -> Result<&'p pte::Tensor> {
        match self.evalue(index)? {
            EValue::Tensor(t) => Ok(t),
            other => Err(self.invalid(format!("value {index}: expected a tensor, found {}", kind(other)))),
        }
    }

    /// The IR type of a pte tensor, checked: known dtype, sane sizes. Values
    /// are row-major in etch whatever their dim order (see `layout`).
    pub fn tensor_type(&self, index: usize) -> Result<TensorType> {
        let t = self.pte_tensor(index)?;
        tensor_type(t).map_err(|m| self.invalid(format!("value {index}: {m}")))
    }

    /// A tensor argument that is read. Resolves constants and ExecuTorch's implicit views.
    pub fn input(&mut self, index: usize) -> Result<ValueId> {
        if let Some(&id) = self.map.get(&index) {
            return Ok(id);
        }
        let t = self.pte_tensor(index)?;
        let ty = self.tensor_type(index)?;
        if t.data_buffer_idx > 0 && t.scalar_type == COMPLEX_FLOAT {
            return Err(self.invalid(format!("value {index}: complex constants are not supported")));
        }
        let storage = if t.data_buffer_idx > 0 && t.allocation.is_none() {
            Storage::Const(self.constant(index, t, &ty)?)
        } else if let Some(a) = t.allocation {
            let key = (a.memory_id, a.offset, ty.bytes());
            if t.data_buffer_idx > 0 || self.state_targets.get(&key) == Some(&index) {
                return self.state(index, t, ty, key);
            }
            match self.writers.get(&key) {
                Some(&base) => {
                    self.same_memory_layout(index, base)?;
                    if self.syms.is_dynamic(base) && self.ty(base).shape != ty.shape {
                        return Err(self.invalid(format!("value {index} reshapes a tensor of runtime size")));
                    }
                    self.syms.copy_dims(base, self.method.values.len());
                    Storage::View { base, offset: 0 }
                }
                None => match self.state_targets.get(&key) {
                    // Another name for the state's memory, read before any write.
                    Some(&target) => {
                        let base = self.input(target)?;
                        Storage::View { base, offset: 0 }
                    }
                    None => {
                        return Err(self.invalid(format!(
                            "value {index} is read before any instruction writes it, and no `copy_` makes it state"
                        )))
                    }
                },
            }
        } else {
            return Err(self.invalid(format!("value {index} has neither data nor a memory plan")));
        };
        Ok(self.add(index, ty, storage))
    }

    /// The dim order of value `index` where its memory is not row-major.
    pub fn layout_of(&self, index: usize) -> Option<Vec<usize>> {
        self.pte_tensor(index).ok().and_then(layout)
    }

    /// A view shares its base's memory, which etch holds row-major: refused
    /// where ExecuTorch would read that memory in another order.
    pub fn same_memory_layout(&self, index: usize, base: ValueId) -> Result<()> {
        let base_index = self.method.values[base].source;
        let (a, b) = (self.layout_of(index), base_index.and_then(|i| self.layout_of(i)));
        if (a.is_some() || b.is_some()) && (a != b || self.ty(base).shape != self.pte_shape(index)) {
            return Err(self.invalid(format!(
                "value {index} reads the memory of value {} in another dim order ({} against {})",
                base_index.unwrap_or(usize::MAX),
                order_name(a.as_deref(), self.pte_shape(index).len()),
                order_name(b.as_deref(), self.ty(base).shape.len()),
            )));
        }
        Ok(())
    }

    fn pte_shape(&self, index: usize) -> Vec<usize> {
        self.pte_tensor(index).map(|t| t.sizes.iter().map(|&s| s.max(0) as usize).collect()).unwrap_or_default()
    }

    /// Mutable state: initialised from the program's data where it has some.
    fn state(&mut self, index: usize, t: &pte::Tensor, ty: TensorType, key: (u32, u64, usize)) -> Result<ValueId> {
        let range = self
            .shared
            .program
            .tensor_data(t, ty.bytes())
            .map_err(|e| self.invalid(format!("value {index}: {e}")))?;
        let init = match range {
            Some(range) => {
                let bytes = self.shared.bytes.get(range).ok_or_else(|| self.invalid(format!("value {index}: initial state is out of the file")))?;
                let bytes = match layout(t) {
                    None => bytes.to_vec(),
                    Some(order) => to_row_major(bytes, ty.dtype.size(), &ty.shape, &order),
                };
                self.shared.constants.push(Constant { ty: ty.clone(), bytes });
                Some(self.shared.constants.len() - 1)
            }
            None if t.extra.as_ref().is_some_and(|e| e.external) => {
                return Err(self.invalid(format!("value {index}: state data in an external file is not supported")))
            }
            None => None,
        };
        let id = self.add(index, ty, Storage::State { init });
        self.writers.insert(key, id);
        Ok(id)
    }

    /// A weight holding one scalar, for the `.Scalar` forms of elementwise ops.
    pub fn scalar_const(&mut self, value: f64, dtype: DType) -> ValueId {
        let ty = TensorType { dtype, shape: vec![] };
        self.shared.constants.push(Constant { ty: ty.clone(), bytes: crate::passes::fold::encode(value, dtype) });
        let storage = Storage::Const(self.shared.constants.len() - 1);
        self.temp(ty, storage)
    }

    /// `v` with a dim of size 1 inserted at `dim`: a view, no copy.
    pub fn unsqueeze(&mut self, v: ValueId, dim: usize) -> ValueId {
        let mut ty = self.ty(v).clone();
        ty.shape.insert(dim, 1);
        self.temp(ty, Storage::View { base: v, offset: 0 })
    }

    /// For an output `out`: a new arena value with a dim of size 1 inserted at
    /// `dim`, which the op writes; `out` becomes a view of it.
    pub fn unsqueeze_output(&mut self, out: ValueId, dim: usize) -> ValueId {
        let mut ty = self.ty(out).clone();
        ty.shape.insert(dim, 1);
        let wide = self.temp(ty, Storage::Arena);
        self.method.values[out].storage = Storage::View { base: wide, offset: 0 };
        wide
    }

    /// `v` broadcast to `shape` (numpy rules, checked by the caller): `v` itself
    /// when the shapes agree, else a strided gather into a new arena value.
    pub fn broadcast_to(&mut self, v: ValueId, shape: &[usize]) -> ValueId {
        let vs = self.ty(v).shape.clone();
        if vs == shape {
            return v;
        }
        let own = strides(&vs);
        let lead = shape.len() - vs.len().min(shape.len());
        let s = (0..shape.len())
            .map(|d| match d.checked_sub(lead) {
                Some(vd) if vs.get(vd).is_some_and(|&n| n != 1) => own[vd],
                _ => 0,
            })
            .collect();
        let ty = TensorType { dtype: self.ty(v).dtype, shape: shape.to_vec() };
        let out = self.temp(ty, Storage::Arena);
        self.push(Op::Gather { offset: 0, strides: s }, vec![v], vec![out]);
        out
    }

    /// A 1-D i64 weight holding `values`: indices etch derives from arguments.
    pub fn index_const(&mut self, values: &[i64]) -> ValueId {
        let ty = TensorType { dtype: DType::I64, shape: vec![values.len()] };
        let bytes = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.shared.constants.push(Constant { ty: ty.clone(), bytes });
        let storage = Storage::Const(self.shared.constants.len() - 1);
        self.temp(ty, storage)
    }

    /// For an output `out`: a new arena value of the same elements under
    /// `shape`, which the op writes; `out` becomes a view of it.
    pub fn reshape_output(&mut self, out: ValueId, shape: Vec<usize>) -> ValueId {
        let ty = TensorType { dtype: self.ty(out).dtype, shape };
        let wide = self.temp(ty, Storage::Arena);
        self.method.values[out].storage = Storage::View { base: wide, offset: 0 };
        wide
    }

    /// A value the program does not name: a scratch tensor or a weight etch adds.
    pub fn temp(&mut self, ty: TensorType, storage: Storage) -> ValueId {
        self.method.values.push(Value { ty, storage, source: None });
        self.method.values.len() - 1
    }

    /// An int, double or bool scalar with its kind, for type promotion.
    pub fn typed_scalar(&self, index: usize) -> Result<(f64, ScalarKind)> {
        if self.ints.contains_key(&index) {
            return self.int(index).map(|v| (v as f64, ScalarKind::Int));
        }
        self.not_runtime(index)?;
        match self.evalue(index)? {
            EValue::Int(v) => Ok((*v as f64, ScalarKind::Int)),
            EValue::Double(v) => Ok((*v, ScalarKind::Float)),
            EValue::Bool(v) => Ok((f64::from(u8::from(*v)), ScalarKind::Bool)),
            other => Err(self.invalid(format!("value {index}: expected a scalar, found {}", kind(other)))),
        }
    }

    pub fn string(&self, index: usize) -> Result<&'p str> {
        match self.evalue(index)? {
            EValue::String(v) => Ok(v),
            other => Err(self.invalid(format!("value {index}: expected a string, found {}", kind(other)))),
        }
    }

    pub fn opt_tensor_list(&self, index: usize) -> Result<Vec<Option<usize>>> {
        match self.evalue(index)? {
            EValue::OptionalTensorList(items) => Ok(items.clone()),
            other => Err(self.invalid(format!("value {index}: expected an optional tensor list, found {}", kind(other)))),
        }
    }

    pub fn opt_input(&mut self, index: usize) -> Result<Option<ValueId>> {
        if self.is_null(index)? {
            Ok(None)
        } else {
            self.input(index).map(Some)
        }
    }

    /// A tensor argument that is written.
    pub fn output(&mut self, index: usize) -> Result<ValueId> {
        if self.map.contains_key(&index) {
            return Err(self.invalid(format!("value {index} is written twice (in-place ops are not supported yet)")));
        }
        let t = self.pte_tensor(index)?;
        let ty = self.tensor_type(index)?;
        let key = t.allocation.map(|a| (a.memory_id, a.offset, ty.bytes()));
        if key.is_some_and(|k| self.state_targets.contains_key(&k)) {
            return Err(self.invalid(format!("value {index} writes mutable state in place; only a trailing copy_ is supported")));
        }
        let id = self.add(index, ty, Storage::Arena);
        if let Some(key) = key {
            self.writers.insert(key, id);
        }
        Ok(id)
    }

    pub fn add(&mut self, index: usize, ty: TensorType, storage: Storage) -> ValueId {
        let id = self.method.values.len();
        self.method.values.push(Value { ty, storage, source: Some(index) });
        self.map.insert(index, id);
        id
    }

    pub fn ty(&self, id: ValueId) -> &TensorType {
        &self.method.values[id].ty
    }

    pub fn push(&mut self, op: Op, inputs: Vec<ValueId>, outputs: Vec<ValueId>) {
        self.method.nodes.push(Node { op, inputs, outputs, instruction: self.instruction });
    }

    fn constant(&mut self, index: usize, t: &pte::Tensor, ty: &TensorType) -> Result<usize> {
        if let Some(&c) = self.shared.by_buffer.get(&t.data_buffer_idx) {
            if self.shared.constants[c].ty == *ty {
                return Ok(c);
            }
        }
        let range = self
            .shared
            .program
            .constant_bytes(t.data_buffer_idx, ty.bytes())
            .map_err(|e| self.invalid(format!("value {index}: {e}")))?;
        let bytes = self
            .shared
            .bytes
            .get(range)
            .ok_or_else(|| self.invalid(format!("value {index}: constant data is out of the file")))?;
        let c = self.shared.constants.len();
        match layout(t) {
            None => {
                self.shared.constants.push(Constant { ty: ty.clone(), bytes: bytes.to_vec() });
                self.shared.by_buffer.insert(t.data_buffer_idx, c);
            }
            Some(order) => {
                let bytes = to_row_major(bytes, ty.dtype.size(), &ty.shape, &order);
                self.shared.constants.push(Constant { ty: ty.clone(), bytes });
            }
        }
        Ok(c)
    }

    /// Normalises a possibly negative dim against `rank`.
    pub fn dim(&self, dim: i64, rank: usize) -> Result<usize> {
        let r = rank as i64;
        let d = if dim < 0 { dim + r } else { dim };
        if (0..r.max(1)).contains(&d) {
            Ok(d as usize)
        } else {
            Err(self.invalid(format!("dim {dim} is out of range for rank {rank}")))
        }
    }

    /// An index that is a weight is checked now, as ExecuTorch would at run
    /// time; other indices are checked by the generated code.
    pub fn check_const_index(&self, index: ValueId, size: usize, wrap: bool) -> Result<()> {
        let Storage::Const(c) = self.method.values[index].storage else { return Ok(()) };
        let c = &self.shared.constants[c];
        let width = c.ty.dtype.size();
        for chunk in c.bytes.chunks_exact(width) {
            let i = match c.ty.dtype {
                DType::I64 => i64::from_le_bytes(chunk.try_into().unwrap_or_default()),
                DType::I32 => i64::from(i32::from_le_bytes(chunk.try_into().unwrap_or_default())),
                _ => return Ok(()),
            };
            let j = if wrap && i < 0 { i + size as i64 } else { i };
            if usize::try_from(j).map_or(true, |j| j >= size) {
                return Err(self.invalid(format!("index {i} is out of range for size {size}")));
            }
        }
        Ok(())
    }

    /// Fails unless every listed value has the given dtype.
    pub fn expect_dtype(&self, ids: &[ValueId], dtype: DType) -> Result<()> {
        for &id in ids {
            let d = self.ty(id).dtype;
            if d != dtype {
                return Err(self.invalid(format!("dtype {d} is not supported here (expected {dtype})")));
            }
        }
        Ok(())
    }
}

/// The kind of a scalar argument: what ExecuTorch's type promotion looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    Bool,
    Int,
    Float,
}

/// Element count limit for one tensor; beyond it a file is refused, not allocated.
pub const MAX_ELEMENTS: usize = 1 << 31;

pub fn dtype(s: ScalarType) -> Option<DType> {
    Some(match s {
        ScalarType::Float => DType::F32,
        ScalarType::Long => DType::I64,
        ScalarType::Int => DType::I32,
        ScalarType::Char => DType::I8,
        ScalarType::Byte => DType::U8,
        ScalarType::Bool => DType::Bool,
        _ => return None,
    })
}

/// ExecuTorch's `ComplexFloat`: etch holds it as f32 pairs, a trailing dim of 2.
pub const COMPLEX_FLOAT: ScalarType = ScalarType::Other(9);

pub fn tensor_type(t: &pte::Tensor) -> Result<TensorType, String> {
    let complex = t.scalar_type == COMPLEX_FLOAT;
    let dtype = if complex { Some(DType::F32) } else { dtype(t.scalar_type) };
    let dtype = dtype.ok_or_else(|| format!("dtype {:?} is not supported", t.scalar_type))?;
    let mut shape = Vec::with_capacity(t.sizes.len().min(16) + 1);
    let mut numel: usize = 1;
    let pair = complex.then_some(2);
    for &s in t.sizes.iter().chain(pair.as_ref()) {
        let s = usize::try_from(s).map_err(|_| format!("negative size {s}"))?;
        numel = numel
            .checked_mul(s)
            .filter(|&n| n <= MAX_ELEMENTS)
            .ok_or_else(|| format!("sizes {:?} hold more than {MAX_ELEMENTS} elements", t.sizes))?;
        shape.push(s);
    }
    if t.storage_offset != 0 {
        return Err(format!("storage offset {} is not supported", t.storage_offset));
    }
    Ok(TensorType { dtype, shape })
}

fn kind(v: &EValue) -> &'static str {
    match v {
        EValue::Null => "null",
        EValue::Int(_) => "an int",
        EValue::Bool(_) => "a bool",
        EValue::Double(_) => "a double",
        EValue::Tensor(_) => "a tensor",
        EValue::String(_) => "a string",
        EValue::IntList(_) => "an int list",
        EValue::DoubleList(_) => "a double list",
        EValue::BoolList(_) => "a bool list",
        EValue::TensorList(_) => "a tensor list",
        EValue::OptionalTensorList(_) => "an optional tensor list",
    }
}

/// Contiguous row-major strides of `shape`, in elements.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1] * shape[d + 1];
    }
    s
}

/// The dim order of a tensor whose memory is not row-major, e.g. `[0, 2, 3, 1]`
/// for channels-last; `None` when it is (dims of size 1 may sit anywhere).
/// etch keeps every value row-major: ExecuTorch's ops compute on logical
/// indices, so only bytes read from the file and memory shared by views care.
pub fn layout(t: &pte::Tensor) -> Option<Vec<usize>> {
    let order: Vec<usize> = t.dim_order.iter().map(|&d| usize::from(d)).collect();
    let size = |d: usize| t.sizes.get(d).copied().unwrap_or(1);
    let mut moving = order.iter().copied().filter(|&d| size(d) != 1);
    let mut last = None;
    let row_major = moving.all(|d| {
        let ok = last.is_none_or(|l| d > l);
        last = Some(d);
        ok
    });
    (!row_major).then_some(order)
}

/// Reorders `bytes`, laid out in `order` over `shape`, into row-major order.
pub fn to_row_major(bytes: &[u8], elem: usize, shape: &[usize], order: &[usize]) -> Vec<u8> {
    let phys: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
    let phys_strides = strides(&phys);
    // The stride, in the file's layout, of each logical dim.
    let mut stride = vec![0; shape.len()];
    for (i, &d) in order.iter().enumerate() {
        stride[d] = phys_strides[i];
    }
    crate::passes::fold::gather(bytes, elem, 0, &stride, shape)
}

/// `[0, 2, 3, 1]`, or `row-major` for `None`.
pub fn order_name(order: Option<&[usize]>, rank: usize) -> String {
    match order {
        Some(o) => format!("dim order {o:?}"),
        None => format!("row-major {:?}", (0..rank).collect::<Vec<_>>()),
    }
}

#[cfg(test)]
mod tests {
    use super::to_row_major;

    #[test]
    fn nhwc_bytes_become_nchw() {
        // [1, 2, 2, 2] in NHWC memory: element (c, h, w) = 100c + 10h + w.
        let nhwc = [0u8, 100, 1, 101, 10, 110, 11, 111];
        let nchw = to_row_major(&nhwc, 1, &[1, 2, 2, 2], &[0, 2, 3, 1]);
        assert_eq!(nchw, [0, 1, 10, 11, 100, 101, 110, 111]);
    }
}
