//! The program under construction: values, calls, constants and the memory plan.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use super::shape::Bounds;
use super::Translated;
use crate::error::{Error, Result};
use crate::pt2::{Arg, Dtype, ExportedProgram, Input, Output, SymInt};
use crate::pte::{self, Allocation, Chain, Dynamism, EValue, Instruction, Operator, Plan, ScalarType, Tensor};

pub struct Builder<'e> {
    pub ep: &'e ExportedProgram,
    values: Vec<EValue>,
    /// Graph name → value index (an in-place op renames its `self` to its result).
    names: BTreeMap<String, usize>,
    /// Symbolic ints (`sym_size` results) by name → their bound.
    pub sym_values: BTreeMap<String, i64>,
    /// Names that are views of another name, for the in-place check.
    pub view_of: BTreeMap<String, String>,
    operators: Vec<Operator>,
    op_ids: BTreeMap<String, usize>,
    instructions: Vec<Instruction>,
    sites: Vec<(String, Option<String>)>,
    constants: Vec<Range<usize>>,
    mutable: Vec<Range<usize>>,
    bytes: Vec<u8>,
    next_offset: u64,
    pub bounds: Bounds,
    /// Mutated buffers: placeholder name → its state value.
    states: BTreeMap<String, usize>,
    inputs: Vec<usize>,
    pub node: usize,
    pub site: (String, Option<String>),
}

fn scalar_type(d: Dtype) -> Option<ScalarType> {
    Some(match d {
        Dtype::U8 => ScalarType::Byte,
        Dtype::I8 => ScalarType::Char,
        Dtype::I16 => ScalarType::Short,
        Dtype::I32 => ScalarType::Int,
        Dtype::I64 => ScalarType::Long,
        Dtype::F16 => ScalarType::Half,
        Dtype::F32 => ScalarType::Float,
        Dtype::F64 => ScalarType::Double,
        Dtype::Bool => ScalarType::Bool,
        Dtype::BF16 => ScalarType::BFloat16,
        Dtype::Other(_) => return None,
    })
}

/// Buffers that the graph writes: named by a `buffer_mutation` output, or the
/// `self` of an in-place op (the default export form keeps those).
fn mutated_buffers(ep: &ExportedProgram) -> BTreeSet<String> {
    let by_target: BTreeMap<&str, &str> = ep
        .inputs
        .iter()
        .filter_map(|i| match i {
            Input::Buffer { arg, target } => Some((target.as_str(), arg.as_str())),
            _ => None,
        })
        .collect();
    let mut out = BTreeSet::new();
    for o in &ep.outputs {
        if let Output::BufferMutation { buffer, .. } = o {
            if let Some(arg) = by_target.get(buffer.as_str()) {
                out.insert((*arg).to_string());
            }
        }
    }
    let buffers: BTreeSet<&str> = by_target.values().copied().collect();
    for n in &ep.nodes {
        if super::ops::in_place(&n.target).is_some() {
            if let Some(Arg::Tensor(s)) = n.inputs.first().map(|(_, a)| a) {
                if buffers.contains(s.as_str()) {
                    out.insert(s.clone());
                }
            }
        }
    }
    out
}

impl<'e> Builder<'e> {
    pub fn new(ep: &'e ExportedProgram) -> Result<Self> {
        let mut b = Builder {
            ep,
            values: Vec::new(),
            names: BTreeMap::new(),
            sym_values: BTreeMap::new(),
            view_of: BTreeMap::new(),
            operators: Vec::new(),
            op_ids: BTreeMap::new(),
            instructions: Vec::new(),
            sites: Vec::new(),
            // Index 0 of both lists is reserved, as in a .pte.
            constants: vec![Range { start: 0, end: 0 }],
            mutable: vec![Range { start: 0, end: 0 }],
            bytes: Vec::new(),
            next_offset: 0,
            bounds: Bounds::new(&ep.ranges),
            states: BTreeMap::new(),
            inputs: Vec::new(),
            node: 0,
            site: (String::new(), None),
        };
        let mutated = mutated_buffers(ep);
        for input in &ep.inputs {
            let arg = input.arg().to_string();
            b.site = (format!("graph input `{arg}`"), None);
            let id = match input {
                Input::User(_) => {
                    let id = b.graph_tensor(&arg)?;
                    b.inputs.push(id);
                    id
                }
                Input::Buffer { target, .. } if mutated.contains(&arg) => {
                    let id = b.stored(&arg, target, true)?;
                    b.states.insert(arg.clone(), id);
                    id
                }
                Input::Parameter { target, .. } | Input::Buffer { target, .. } | Input::Constant { target, .. } => b.stored(&arg, target, false)?,
            };
            b.names.insert(arg, id);
        }
        Ok(b)
    }

    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::Source { op: self.site.0.clone(), at: self.site.1.clone().unwrap_or_else(|| "an unknown line".into()), message: message.into() }
    }

    fn push_value(&mut self, v: EValue) -> usize {
        self.values.push(v);
        self.values.len() - 1
    }

    /// A tensor value with its own slot in the memory plan.
    fn planned(&mut self, st: ScalarType, sizes: &[usize], dynamic: bool) -> Result<usize> {
        let sizes32 = sizes.iter().map(|&s| i32::try_from(s).map_err(|_| self.invalid(format!("size {s} is out of range")))).collect::<Result<Vec<_>>>()?;
        let nbytes = sizes.iter().try_fold(st.size().unwrap_or(1), |n, &s| n.checked_mul(s)).ok_or_else(|| self.invalid(format!("sizes {sizes:?} overflow")))?;
        let offset = self.next_offset;
        self.next_offset = offset.saturating_add((nbytes as u64).max(1).div_ceil(16) * 16);
        let t = Tensor {
            scalar_type: st,
            storage_offset: 0,
            sizes: sizes32,
            dim_order: (0..sizes.len() as u8).collect(),
            data_buffer_idx: 0,
            allocation: Some(Allocation { memory_id: 1, offset }),
            dynamism: if dynamic { Dynamism::Bound } else { Dynamism::Static },
            extra: None,
        };
        Ok(self.push_value(EValue::Tensor(t)))
    }

    /// The tensor `name` of the graph, at its bounds.
    fn graph_tensor(&mut self, name: &str) -> Result<usize> {
        let meta = self.ep.tensors.get(name).ok_or_else(|| self.invalid(format!("tensor `{name}` has no tensor_values entry")))?;
        let st = scalar_type(meta.dtype).ok_or_else(|| self.invalid(format!("tensor `{name}`: dtype code {:?} is unknown", meta.dtype)))?;
        let (sizes, dynamic) = self.bounds.sizes(&meta.sizes).map_err(|m| self.invalid(format!("tensor `{name}`: {m}")))?;
        self.planned(st, &sizes, dynamic)
    }

    /// A parameter, buffer or constant: a constant buffer, or state with initial data.
    fn stored(&mut self, arg: &str, target: &str, state: bool) -> Result<usize> {
        let data = self.ep.data.get(target).ok_or_else(|| self.invalid(format!("no data for `{target}`")))?;
        let id = if state {
            self.graph_tensor(arg)?
        } else {
            let meta = &data.meta;
            let st = scalar_type(meta.dtype).ok_or_else(|| self.invalid(format!("`{target}`: dtype {:?} is unknown", meta.dtype)))?;
            let (sizes, _) = self.bounds.sizes(&meta.sizes).map_err(|m| self.invalid(format!("`{target}`: {m}")))?;
            let id = self.planned(st, &sizes, false)?;
            if let EValue::Tensor(t) = &mut self.values[id] {
                t.allocation = None;
            }
            id
        };
        let start = self.bytes.len().div_ceil(16) * 16;
        self.bytes.resize(start, 0);
        self.bytes.extend_from_slice(&data.bytes);
        let range = start..self.bytes.len();
        let list = if state { &mut self.mutable } else { &mut self.constants };
        list.push(range);
        let idx = u32::try_from(list.len() - 1).map_err(|_| self.invalid("too many constants"))?;
        if let EValue::Tensor(t) = &mut self.values[id] {
            t.data_buffer_idx = idx;
        }
        Ok(id)
    }

    /// The value a graph name holds now.
    pub fn tensor(&self, name: &str) -> Result<usize> {
        self.names.get(name).copied().ok_or_else(|| self.invalid(format!("tensor `{name}` is read before any node writes it")))
    }

    /// The output `name` of the current node: a new planned tensor.
    pub fn output(&mut self, name: &str) -> Result<usize> {
        let id = self.graph_tensor(name)?;
        self.names.insert(name.to_string(), id);
        Ok(id)
    }

    /// `name` is another name for value `id` (an alias, a no-op).
    pub fn alias(&mut self, name: &str, id: usize) {
        self.names.insert(name.to_string(), id);
    }

    /// A scratch tensor etch adds between two calls.
    pub fn temp(&mut self, st: ScalarType, sizes: &[usize]) -> Result<usize> {
        let dynamic = false;
        self.planned(st, sizes, dynamic)
    }

    /// A scratch tensor shaped like `like`'s value but with `sizes`, dynamic when `like` is.
    pub fn temp_like(&mut self, like: usize, st: Option<ScalarType>, sizes: &[usize]) -> Result<usize> {
        let (lst, dynamic) = match &self.values[like] {
            EValue::Tensor(t) => (t.scalar_type, t.dynamism != Dynamism::Static),
            _ => (ScalarType::Float, false),
        };
        self.planned(st.unwrap_or(lst), sizes, dynamic)
    }

    /// A constant tensor holding `bytes`.
    pub fn constant(&mut self, st: ScalarType, sizes: &[usize], bytes: &[u8]) -> Result<usize> {
        let id = self.planned(st, sizes, false)?;
        let start = self.bytes.len().div_ceil(16) * 16;
        self.bytes.resize(start, 0);
        self.bytes.extend_from_slice(bytes);
        self.constants.push(start..self.bytes.len());
        let idx = u32::try_from(self.constants.len() - 1).map_err(|_| self.invalid("too many constants"))?;
        if let EValue::Tensor(t) = &mut self.values[id] {
            t.allocation = None;
            t.data_buffer_idx = idx;
        }
        Ok(id)
    }

    pub fn shape(&self, id: usize) -> Vec<usize> {
        match &self.values[id] {
            EValue::Tensor(t) => t.sizes.iter().map(|&s| s as usize).collect(),
            _ => Vec::new(),
        }
    }

    pub fn dtype(&self, id: usize) -> ScalarType {
        match &self.values[id] {
            EValue::Tensor(t) => t.scalar_type,
            _ => ScalarType::Float,
        }
    }

    pub fn int(&mut self, v: i64) -> usize {
        self.push_value(EValue::Int(v))
    }

    pub fn double(&mut self, v: f64) -> usize {
        self.push_value(EValue::Double(v))
    }

    pub fn bool(&mut self, v: bool) -> usize {
        self.push_value(EValue::Bool(v))
    }

    pub fn null(&mut self) -> usize {
        self.push_value(EValue::Null)
    }

    pub fn string(&mut self, v: &str) -> usize {
        self.push_value(EValue::String(v.to_string()))
    }

    pub fn ints(&mut self, v: &[i64]) -> usize {
        let items = v.iter().map(|&i| self.int(i) as i64).collect();
        self.push_value(EValue::IntList(items))
    }

    pub fn tensor_list(&mut self, v: Vec<usize>) -> usize {
        self.push_value(EValue::TensorList(v))
    }

    pub fn opt_tensor_list(&mut self, v: Vec<Option<usize>>) -> usize {
        self.push_value(EValue::OptionalTensorList(v))
    }

    /// A symbolic int at its bound.
    pub fn sym(&self, s: &SymInt) -> Result<i64> {
        match s {
            SymInt::Int(v) => Ok(*v),
            SymInt::Name(n) => self.sym_values.get(n).copied().ok_or_else(|| self.invalid(format!("symbolic int `{n}` is unknown"))),
        }
    }

    /// One kernel call. `args` ends with the outputs; ExecuTorch repeats them as return values.
    pub fn call(&mut self, op: &str, mut args: Vec<usize>, outs: &[usize]) {
        let id = match self.op_ids.get(op) {
            Some(&id) => id,
            None => {
                let (name, overload) = op.split_once('.').unwrap_or((op, ""));
                self.operators.push(Operator { name: name.to_string(), overload: overload.to_string() });
                self.op_ids.insert(op.to_string(), self.operators.len() - 1);
                self.operators.len() - 1
            }
        };
        args.extend_from_slice(outs);
        args.extend_from_slice(outs);
        self.instructions.push(Instruction::Kernel { op: id, args });
        self.sites.push(self.site.clone());
    }

    /// Like `call`, for ops whose outputs form one tensor list (`split_with_sizes_copy`).
    pub fn call_list(&mut self, op: &str, mut args: Vec<usize>, outs: Vec<usize>) {
        let list = self.tensor_list(outs);
        args.push(list);
        self.call(op, args, &[]);
        if let Some(Instruction::Kernel { args, .. }) = self.instructions.last_mut() {
            args.push(list);
        }
    }

    pub fn finish(mut self) -> Result<Translated> {
        self.site = ("output".into(), None);
        let mut outputs = Vec::new();
        let mut writes = Vec::new();
        for o in &self.ep.outputs {
            match o {
                Output::User(Arg::Tensor(name)) => outputs.push(self.tensor(name)?),
                Output::User(other) => return Err(self.invalid(format!("output {other:?} is not a tensor; etch returns tensors only"))),
                Output::BufferMutation { arg, buffer } => {
                    let placeholder = self.ep.inputs.iter().find_map(|i| match i {
                        Input::Buffer { arg: a, target } if target == buffer => Some(a.clone()),
                        _ => None,
                    });
                    let p = placeholder.ok_or_else(|| self.invalid(format!("mutated buffer `{buffer}` is not an input")))?;
                    writes.push((p, self.tensor(arg)?));
                }
            }
        }
        // The default export form writes buffers in place: their names now hold the new value.
        for (p, &state) in &self.states {
            let now = self.tensor(p)?;
            if now != state && !writes.iter().any(|(q, _)| q == p) {
                writes.push((p.clone(), now));
            }
        }
        for (p, src) in writes {
            let Some(&state) = self.states.get(&p) else { continue };
            if src == state {
                continue;
            }
            self.site = (format!("write-back of buffer `{p}`"), None);
            let nb = self.bool(false);
            self.call("aten::copy_", vec![state, src, nb], &[]);
            if let Some(Instruction::Kernel { args, .. }) = self.instructions.last_mut() {
                args.push(state);
            }
        }
        let plan = Plan {
            name: "forward".into(),
            values: self.values,
            inputs: self.inputs,
            outputs,
            chains: vec![Chain { inputs: Vec::new(), outputs: Vec::new(), instructions: self.instructions }],
            operators: self.operators,
            delegates: Vec::new(),
            non_const_buffer_sizes: Vec::new(),
        };
        let program = pte::Program {
            version: 0,
            plans: vec![plan],
            constants: self.constants,
            mutable_data: vec![self.mutable],
            named_data: Vec::new(),
            segments: Vec::new(),
            inline_delegate_data: Vec::new(),
        };
        Ok(Translated { program, bytes: self.bytes, sites: self.sites })
    }
}
