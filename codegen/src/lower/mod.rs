//! Program → IR. Each KernelCall becomes a typed op with validated arguments.
//!
//! Unsupported ops do not stop lowering: they are collected over the whole
//! program and reported together.

mod cx;
mod dynamic;
mod ops;
pub mod pt2;
mod xnnpack;

use std::collections::BTreeMap;

pub use cx::{strides, tensor_type, MAX_ELEMENTS};
pub use ops::{is_supported, promote};
pub use xnnpack::census as xnnpack_census;

/// The ops of ExecuTorch 1.5.1's portable kernel library (`functions.yaml`), as `name.overload`.
pub fn portable_ops() -> impl Iterator<Item = &'static str> {
    include_str!("portable_ops.txt").lines().filter(|l| !l.starts_with('#') && !l.is_empty())
}

use crate::error::{Error, Result, Unsupported, UnsupportedOp};
use crate::ir::{Graph, Method, Storage};
use crate::pte::{self, Instruction};
use cx::{Cx, Shared};

pub fn lower(program: &pte::Program, bytes: &[u8]) -> Result<Graph> {
    let mut shared = Shared { program, bytes, constants: Vec::new(), by_buffer: BTreeMap::new() };
    let mut unsupported: BTreeMap<String, UnsupportedOp> = BTreeMap::new();
    let (mut methods, mut metadata) = (Vec::new(), Vec::new());
    for plan in &program.plans {
        match crate::meta::from_plan(plan) {
            Some(meta) => metadata.push(meta),
            None => methods.push(lower_plan(&mut shared, plan, &mut unsupported)?),
        }
    }
    if !unsupported.is_empty() {
        let mut ops: Vec<_> = unsupported.into_values().collect();
        ops.sort_by(|a, b| (&a.method, a.first_instruction).cmp(&(&b.method, b.first_instruction)));
        return Err(Error::Unsupported(Unsupported { ops }));
    }
    Ok(Graph { methods, constants: shared.constants, metadata })
}

fn lower_plan<'p>(
    shared: &mut Shared<'p>,
    plan: &'p pte::Plan,
    unsupported: &mut BTreeMap<String, UnsupportedOp>,
) -> Result<Method> {
    let method = Method {
        name: plan.name.clone(),
        values: Vec::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        nodes: Vec::new(),
        executorch_arena: plan.non_const_buffer_sizes.get(1).and_then(|&s| u64::try_from(s).ok()),
        dynamic: Default::default(),
    };
    let mut cx = Cx {
        shared,
        plan,
        method,
        map: BTreeMap::new(),
        writers: BTreeMap::new(),
        instruction: 0,
        op_name: String::new(),
        state_targets: state_targets(plan),
        syms: Default::default(),
        ints: BTreeMap::new(),
    };
    for (k, &index) in plan.inputs.iter().enumerate() {
        let pte::EValue::Tensor(t) = &plan.values[index] else {
            return Err(method_error(plan, format!("input {k} (value {index}) is not a tensor")));
        };
        let ty = cx::tensor_type(t).map_err(|m| method_error(plan, format!("input {k} (value {index}): {m}")))?;
        if t.dynamism == pte::Dynamism::Unbound {
            return Err(method_error(plan, format!("input {k} has an unbounded dynamic shape; only bounded ones are supported")));
        }
        let key = t.allocation.map(|a| (a.memory_id, a.offset, ty.bytes()));
        let shape = ty.shape.clone();
        let id = cx.add(index, ty, Storage::Input(k));
        if t.dynamism == pte::Dynamism::Bound {
            cx.syms.input(id, k, &shape);
        }
        if let Some(key) = key {
            cx.writers.insert(key, id);
        }
        cx.method.inputs.push(id);
    }

    let mut failed = false;
    for chain in &plan.chains {
        for (i, instruction) in chain.instructions.iter().enumerate() {
            cx.instruction = i;
            match instruction {
                Instruction::Kernel { op, args } => {
                    let name = plan.operators.get(*op).map(|o| o.qualified()).unwrap_or_default();
                    cx.op_name = name.clone();
                    let before = cx.method.nodes.len();
                    match ops::lower(&name, &mut cx, args) {
                        Some(result) if !failed => {
                            result?;
                            for node in &cx.method.nodes[before..] {
                                cx.syms.propagate(&cx.method, node);
                            }
                        }
                        Some(_) => {}
                        None => {
                            failed = true;
                            note(unsupported, name, &plan.name, i);
                        }
                    }
                }
                Instruction::Delegate { delegate, args } => {
                    let d = plan.delegates.get(*delegate).ok_or_else(|| method_error(plan, format!("instruction {i}: no delegate {delegate}")))?;
                    if d.id != pte::xnnpack::BACKEND_ID {
                        failed = true;
                        note(unsupported, format!("delegate {} (etch compiles XnnpackBackend only)", d.id), &plan.name, i);
                        continue;
                    }
                    let graph = pte::xnnpack::read(cx.shared.program, cx.shared.bytes, d)
                        .map_err(|m| method_error(plan, format!("instruction {i}: delegate {delegate} ({}): {m}", d.id)))?;
                    let missing = xnnpack::unsupported(&graph);
                    for name in &missing {
                        note(unsupported, name.clone(), &plan.name, i);
                    }
                    failed |= !missing.is_empty();
                    if !failed {
                        let before = cx.method.nodes.len();
                        xnnpack::lower(&mut cx, &graph, args)?;
                        for node in &cx.method.nodes[before..] {
                            cx.syms.propagate(&cx.method, node);
                        }
                    }
                }
                Instruction::JumpFalse { .. } => {
                    failed = true;
                    note(unsupported, "JumpFalseCall (control flow, not supported yet)".into(), &plan.name, i);
                }
                // Moves and frees carry no computation once memory is planned statically.
                Instruction::Move { from, to } if !failed => {
                    let id = cx.input(*from)?;
                    cx.map.insert(*to, id);
                }
                Instruction::Move { .. } | Instruction::Free { .. } => {}
            }
        }
    }
    if failed {
        return Ok(cx.method);
    }
    for (k, &index) in plan.outputs.iter().enumerate() {
        // An output no instruction wrote is an input or a constant (`cx.input` resolves both).
        let id = match cx.map.get(&index) {
            Some(&id) => id,
            None => cx
                .input(index)
                .map_err(|e| method_error(plan, format!("output {k} (value {index}) is never computed: {e}")))?,
        };
        cx.method.outputs.push(id);
    }
    // A count found at run time reaches only the caller: no op reads it.
    for v in cx.method.counted() {
        let read = cx.method.nodes.iter().any(|n| n.inputs.contains(&v)) || cx.method.values.iter().any(|x| x.storage == Storage::View { base: v, offset: 0 });
        if read || !cx.method.outputs.contains(&v) || cx.syms.is_dynamic(v) {
            let what = cx.method.values[v].source.map_or(String::new(), |s| format!(" (value {s})"));
            return Err(method_error(plan, format!("a data-dependent size{what} feeds other ops; etch supports returning it only")));
        }
    }
    let syms = std::mem::take(&mut cx.syms);
    cx.method.dynamic = syms
        .finish(&cx.method)
        .map_err(|(instruction, message)| method_error(plan, format!("instruction {instruction}: {message}")))?;
    Ok(cx.method)
}

/// Planned tensors that an `aten::copy_` (or `llama::update_cache`, its
/// second argument) writes: the program's mutable state.
fn state_targets(plan: &pte::Plan) -> BTreeMap<(u32, u64, usize), usize> {
    let mut targets = BTreeMap::new();
    for chain in &plan.chains {
        for instruction in &chain.instructions {
            let Instruction::Kernel { op, args } = instruction else { continue };
            let arg = match plan.operators.get(*op).map(|o| o.qualified()).as_deref() {
                Some("aten::copy_") => 0,
                Some("llama::update_cache.out") => 1,
                _ => continue,
            };
            let Some(&target) = args.get(arg) else { continue };
            let Some(pte::EValue::Tensor(t)) = plan.values.get(target) else { continue };
            let (Some(a), Ok(ty)) = (t.allocation, cx::tensor_type(t)) else { continue };
            targets.insert((a.memory_id, a.offset, ty.bytes()), target);
        }
    }
    targets
}

fn note(unsupported: &mut BTreeMap<String, UnsupportedOp>, name: String, method: &str, instruction: usize) {
    unsupported
        .entry(name.clone())
        .and_modify(|o| o.count += 1)
        .or_insert(UnsupportedOp { name, count: 1, method: method.to_string(), first_instruction: instruction, at: None });
}

fn method_error(plan: &pte::Plan, message: String) -> Error {
    Error::Method { method: plan.name.clone(), message }
}
