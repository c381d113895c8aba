//! Reading one execution plan. Every index is checked here, so later stages
//! can index `Plan::values`, `operators` and `delegates` without checks.

use core::ops::Range;

use flatbuffers::Vector;

use super::generated as fb;
use super::tensor::read_tensor;
use super::{Chain, Delegate, DelegateData, EValue, Error, Instruction, Operator, Plan};

/// What the program holds outside of plans, for checking references to it.
pub struct DataCounts<'p> {
    pub constants: &'p [Range<usize>],
    pub mutable: &'p [Vec<Range<usize>>],
    pub segments: usize,
    pub inline_delegates: usize,
}

pub(super) struct Ctx<'p> {
    pub plan: String,
    pub n_values: usize,
    pub data: &'p DataCounts<'p>,
    /// `non_const_buffer_sizes`, which `AllocationDetails::memory_id` indexes.
    pub arenas: Vec<i64>,
}

pub fn read_plan(
    idx: usize,
    p: fb::ExecutionPlan<'_>,
    data: &DataCounts<'_>,
) -> Result<Plan, Error> {
    let name = p.name().ok_or_else(|| Error::MissingField {
        what: format!("execution_plan[{idx}]"),
        field: "name",
    })?;
    let cx = Ctx {
        plan: name.to_owned(),
        n_values: p.values().map_or(0, |v| v.len()),
        data,
        arenas: p.non_const_buffer_sizes().iter().flatten().collect(),
    };
    cx.check_devices(p.non_const_buffer_device())?;
    let values = p
        .values()
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, v)| cx.read_value(i, v))
        .collect::<Result<Vec<_>, _>>()?;
    cx.check_lists(&values)?;
    let inputs = cx.values(p.inputs(), |k| format!("input {k}"))?;
    let outputs = cx.values(p.outputs(), |k| format!("output {k}"))?;
    let operators = p
        .operators()
        .iter()
        .flatten()
        .enumerate()
        .map(|(k, o)| {
            Ok(Operator {
                name: o
                    .name()
                    .ok_or_else(|| cx.missing(format!("operator {k}"), "name"))?
                    .into(),
                overload: o.overload().unwrap_or_default().into(),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let delegates = p
        .delegates()
        .iter()
        .flatten()
        .enumerate()
        .map(|(k, d)| cx.read_delegate(k, d))
        .collect::<Result<Vec<_>, _>>()?;
    let chains = p
        .chains()
        .iter()
        .flatten()
        .enumerate()
        .map(|(c, ch)| cx.read_chain(c, ch, operators.len(), delegates.len()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Plan {
        name: cx.plan,
        values,
        inputs,
        outputs,
        chains,
        operators,
        delegates,
        non_const_buffer_sizes: cx.arenas,
    })
}

impl Ctx<'_> {
    pub fn missing(&self, what: String, field: &'static str) -> Error {
        Error::MissingField {
            what: format!("plan `{}`: {what}", self.plan),
            field,
        }
    }

    pub fn unknown(&self, what: String, kind: &'static str, code: i64) -> Error {
        Error::UnknownCode {
            plan: self.plan.clone(),
            what,
            kind,
            code,
        }
    }

    pub fn value(&self, raw: i32, what: impl FnOnce() -> String) -> Result<usize, Error> {
        match usize::try_from(raw) {
            Ok(i) if i < self.n_values => Ok(i),
            _ => Err(Error::ValueIndexOutOfRange {
                plan: self.plan.clone(),
                what: what(),
                index: raw.into(),
                len: self.n_values,
            }),
        }
    }

    pub fn values(
        &self,
        list: Option<Vector<'_, i32>>,
        what: impl Fn(usize) -> String,
    ) -> Result<Vec<usize>, Error> {
        list.iter()
            .flatten()
            .enumerate()
            .map(|(k, raw)| self.value(raw, || what(k)))
            .collect()
    }

    pub fn index(
        &self,
        raw: i64,
        len: usize,
        kind: &'static str,
        what: impl FnOnce() -> String,
    ) -> Result<usize, Error> {
        match usize::try_from(raw) {
            Ok(i) if i < len => Ok(i),
            _ => Err(Error::IndexOutOfRange {
                plan: self.plan.clone(),
                what: what(),
                kind,
                index: raw,
                len,
            }),
        }
    }

    fn check_devices(
        &self,
        list: Option<Vector<'_, flatbuffers::ForwardsUOffset<fb::NonConstBufferDevice<'_>>>>,
    ) -> Result<(), Error> {
        for (k, d) in list.iter().flatten().enumerate() {
            let what = || format!("non_const_buffer_device {k}");
            self.index(d.buffer_idx().into(), self.arenas.len(), "buffer", what)?;
            if d.device_type() != fb::DeviceType::CPU {
                return Err(Error::UnsupportedDevice {
                    plan: self.plan.clone(),
                    what: format!("non-constant buffer {}", d.buffer_idx()),
                    device_type: d.device_type().0,
                    device_index: d.device_index(),
                });
            }
        }
        Ok(())
    }

    fn read_value(&self, i: usize, v: fb::EValue<'_>) -> Result<EValue, Error> {
        use fb::KernelTypes as K;
        let table = |kind: &str| self.missing(format!("value {i} ({kind})"), "val");
        Ok(match v.val_type() {
            K::Null => EValue::Null,
            K::Int => EValue::Int(v.val_as_int().ok_or_else(|| table("int"))?.int_val()),
            K::Bool => EValue::Bool(v.val_as_bool().ok_or_else(|| table("bool"))?.bool_val()),
            K::Double => EValue::Double(
                v.val_as_double()
                    .ok_or_else(|| table("double"))?
                    .double_val(),
            ),
            K::Tensor => EValue::Tensor(read_tensor(
                self,
                i,
                v.val_as_tensor().ok_or_else(|| table("tensor"))?,
            )?),
            K::String => {
                let s = v.val_as_string().ok_or_else(|| table("string"))?;
                EValue::String(s.string_val().unwrap_or_default().into())
            }
            K::IntList => {
                let l = v.val_as_int_list().ok_or_else(|| table("int list"))?;
                EValue::IntList(l.items().iter().flatten().collect())
            }
            K::DoubleList => {
                let l = v.val_as_double_list().ok_or_else(|| table("double list"))?;
                EValue::DoubleList(l.items().iter().flatten().collect())
            }
            K::BoolList => {
                let l = v.val_as_bool_list().ok_or_else(|| table("bool list"))?;
                EValue::BoolList(l.items().iter().flatten().collect())
            }
            K::TensorList => {
                let l = v.val_as_tensor_list().ok_or_else(|| table("tensor list"))?;
                EValue::TensorList(
                    self.values(l.items(), |k| format!("value {i} (tensor list) item {k}"))?,
                )
            }
            K::OptionalTensorList => {
                let l = v.val_as_optional_tensor_list();
                let l = l.ok_or_else(|| table("optional tensor list"))?;
                let items = l.items();
                let items = items.iter().flatten().enumerate().map(|(k, raw)| {
                    if raw == -1 {
                        return Ok(None);
                    }
                    let what = || format!("value {i} (optional tensor list) item {k}");
                    self.value(raw, what).map(Some)
                });
                EValue::OptionalTensorList(items.collect::<Result<_, _>>()?)
            }
            K::NONE => return Err(self.missing(format!("value {i}"), "val_type")),
            other => return Err(self.unknown(format!("value {i}"), "value type", other.0.into())),
        })
    }

    /// List items must name tensors (or nulls, in optional lists).
    fn check_lists(&self, values: &[EValue]) -> Result<(), Error> {
        for (i, v) in values.iter().enumerate() {
            let (items, optional): (Vec<Option<usize>>, bool) = match v {
                EValue::TensorList(items) => (items.iter().copied().map(Some).collect(), false),
                EValue::OptionalTensorList(items) => (items.clone(), true),
                _ => continue,
            };
            let list = if optional {
                "optional tensor list"
            } else {
                "tensor list"
            };
            for (k, idx) in items.into_iter().enumerate() {
                let Some(idx) = idx else { continue };
                let found = values.get(idx).map_or("nothing", kind_name);
                let ok = found == "a tensor" || (optional && found == "null");
                if !ok {
                    return Err(Error::ValueTypeMismatch {
                        plan: self.plan.clone(),
                        what: format!("value {i} ({list}) item {k}"),
                        index: idx,
                        expected: if optional {
                            "a tensor or null"
                        } else {
                            "a tensor"
                        },
                        found,
                    });
                }
            }
        }
        Ok(())
    }

    fn read_delegate(&self, k: usize, d: fb::BackendDelegate<'_>) -> Result<Delegate, Error> {
        let id = d
            .id()
            .ok_or_else(|| self.missing(format!("delegate {k}"), "id"))?;
        let r = d
            .processed()
            .ok_or_else(|| self.missing(format!("delegate {k} `{id}`"), "processed"))?;
        let (make, kind, len): (fn(usize) -> DelegateData, _, _) = match r.location() {
            fb::DataLocation::INLINE => (
                DelegateData::Inline,
                "inline delegate data",
                self.data.inline_delegates,
            ),
            fb::DataLocation::SEGMENT => (DelegateData::Segment, "segment", self.data.segments),
            other => {
                return Err(self.unknown(
                    format!("delegate {k} `{id}`"),
                    "data location",
                    other.0.into(),
                ))
            }
        };
        let index = usize::try_from(r.index())
            .ok()
            .filter(|&i| i < len)
            .ok_or_else(|| Error::DataIndexOutOfRange {
                what: format!("plan `{}`: delegate {k} `{id}`", self.plan),
                kind,
                index: r.index().into(),
                len,
            })?;
        let compile_specs = d
            .compile_specs()
            .iter()
            .flatten()
            .enumerate()
            .map(|(s, spec)| {
                let key = spec.key().ok_or_else(|| {
                    self.missing(format!("delegate {k} `{id}` compile spec {s}"), "key")
                })?;
                Ok((
                    key.to_owned(),
                    spec.value().map(|v| v.bytes().to_vec()).unwrap_or_default(),
                ))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Delegate {
            id: id.to_owned(),
            data: make(index),
            compile_specs,
        })
    }

    fn read_chain(
        &self,
        c: usize,
        ch: fb::Chain<'_>,
        n_ops: usize,
        n_delegates: usize,
    ) -> Result<Chain, Error> {
        // ExecuTorch programs have one chain: leave it out of messages then.
        let at = |k: usize| match c {
            0 => format!("instruction {k}"),
            _ => format!("chain {c} instruction {k}"),
        };
        let n_instr = ch.instructions().map_or(0, |v| v.len());
        let instructions = ch
            .instructions()
            .iter()
            .flatten()
            .enumerate()
            .map(|(k, ins)| self.read_instruction(&|| at(k), ins, [n_ops, n_delegates, n_instr]))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Chain {
            inputs: self.values(ch.inputs(), |k| format!("chain {c} input {k}"))?,
            outputs: self.values(ch.outputs(), |k| format!("chain {c} output {k}"))?,
            instructions,
        })
    }

    fn read_instruction(
        &self,
        at: &dyn Fn() -> String,
        ins: fb::Instruction<'_>,
        [n_ops, n_delegates, n_instr]: [usize; 3],
    ) -> Result<Instruction, Error> {
        use fb::InstructionArguments as A;
        let table = || self.missing(at(), "instr_args");
        let arg = |a| format!("{} argument {a}", at());
        Ok(match ins.instr_args_type() {
            A::KernelCall => {
                let call = ins.instr_args_as_kernel_call().ok_or_else(table)?;
                Instruction::Kernel {
                    op: self.index(call.op_index().into(), n_ops, "operator", at)?,
                    args: self.values(call.args(), arg)?,
                }
            }
            A::DelegateCall => {
                let call = ins.instr_args_as_delegate_call().ok_or_else(table)?;
                Instruction::Delegate {
                    delegate: self.index(
                        call.delegate_index().into(),
                        n_delegates,
                        "delegate",
                        at,
                    )?,
                    args: self.values(call.args(), arg)?,
                }
            }
            A::MoveCall => {
                let m = ins.instr_args_as_move_call().ok_or_else(table)?;
                Instruction::Move {
                    from: self.value(m.move_from(), || format!("{} move source", at()))?,
                    to: self.value(m.move_to(), || format!("{} move target", at()))?,
                }
            }
            A::JumpFalseCall => {
                let j = ins.instr_args_as_jump_false_call().ok_or_else(table)?;
                Instruction::JumpFalse {
                    cond: self.value(j.cond_value_index(), || format!("{} condition", at()))?,
                    destination: self.index(
                        j.destination_instruction().into(),
                        n_instr,
                        "instruction",
                        at,
                    )?,
                }
            }
            A::FreeCall => {
                let f = ins.instr_args_as_free_call().ok_or_else(table)?;
                Instruction::Free {
                    value: self.value(f.value_index(), || format!("{} freed value", at()))?,
                }
            }
            A::NONE => return Err(self.missing(at(), "instr_args_type")),
            other => return Err(self.unknown(at(), "instruction type", other.0.into())),
        })
    }
}

/// For messages: what kind of value sits at an index.
pub fn kind_name(v: &EValue) -> &'static str {
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
