//! What `etch inspect` reports: will this program compile, and what will it cost.

use std::collections::BTreeMap;

use crate::pte::{self, EValue, Instruction};
use crate::{generate, Config, Summary};

pub struct Inspection {
    pub file_bytes: usize,
    pub constant_bytes: usize,
    pub methods: Vec<MethodInfo>,
    /// etch's plan when the whole program compiles, else why not.
    pub etch: Result<Summary, crate::Error>,
}

pub struct MethodInfo {
    pub name: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// `name.overload` → (count, supported)
    pub ops: BTreeMap<String, (usize, bool)>,
    /// Inside XNNPACK delegates: node type → (count, supported).
    pub delegated: BTreeMap<String, (usize, bool)>,
    pub executorch_arena: Option<i64>,
    /// For a `.pt2`: every ATen node in graph order, with its Python line and whether etch translates it.
    pub nodes: Vec<NodeInfo>,
}

pub struct NodeInfo {
    pub target: String,
    pub at: Option<String>,
    pub supported: bool,
}

pub fn inspect(bytes: &[u8]) -> Result<Inspection, crate::Error> {
    if crate::pt2::is_archive(bytes) {
        return inspect_pt2(bytes);
    }
    let program = pte::parse(bytes)?;
    let methods = program.plans.iter().map(|p| method(&program, bytes, p)).collect();
    let named: usize = program.named_data.iter().filter_map(|d| program.segments.get(d.segment)).map(|r| r.len()).sum();
    let constant_bytes = program.constants.iter().map(|r| r.len()).sum::<usize>() + named;
    let etch = generate(bytes, &Config::new("model")).map(|g| g.summary);
    Ok(Inspection { file_bytes: bytes.len(), constant_bytes, methods, etch })
}

fn method(program: &pte::Program, bytes: &[u8], plan: &pte::Plan) -> MethodInfo {
    let mut ops: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    let mut delegated: BTreeMap<String, (usize, bool)> = BTreeMap::new();
    for chain in &plan.chains {
        for i in &chain.instructions {
            let (name, supported) = match i {
                Instruction::Kernel { op, .. } => {
                    let name = plan.operators.get(*op).map(|o| o.qualified()).unwrap_or_default();
                    let ok = crate::lower::is_supported(&name);
                    (name, ok)
                }
                Instruction::Delegate { delegate, .. } => match plan.delegates.get(*delegate) {
                    Some(d) if d.id == pte::xnnpack::BACKEND_ID => {
                        let census = pte::xnnpack::read(program, bytes, d).map(|g| crate::lower::xnnpack_census(&g));
                        let ok = census.as_ref().is_ok_and(|c| c.iter().all(|(_, ok)| *ok));
                        for (name, ok) in census.unwrap_or_else(|e| vec![(format!("unreadable payload: {e}"), false)]) {
                            delegated.entry(name).or_insert((0, ok)).0 += 1;
                        }
                        (format!("delegate {}", d.id), ok)
                    }
                    Some(d) => (format!("delegate {}", d.id), false),
                    None => ("delegate ?".into(), false),
                },
                Instruction::JumpFalse { .. } => ("JumpFalseCall".into(), false),
                Instruction::Move { .. } | Instruction::Free { .. } => continue,
            };
            ops.entry(name).or_insert((0, supported)).0 += 1;
        }
    }
    let describe = |&v: &usize| match plan.values.get(v) {
        Some(EValue::Tensor(t)) => {
            let dynamic = if t.dynamism == pte::Dynamism::Static { "" } else { " (dynamic, bound)" };
            format!("{:?} {:?}{dynamic}", t.scalar_type, t.sizes)
        }
        Some(other) => format!("{other:?}"),
        None => "?".into(),
    };
    MethodInfo {
        name: plan.name.clone(),
        inputs: plan.inputs.iter().map(describe).collect(),
        outputs: plan.outputs.iter().map(describe).collect(),
        ops,
        delegated,
        executorch_arena: plan.non_const_buffer_sizes.get(1).copied(),
        nodes: Vec::new(),
    }
}

/// A `.pt2`: the kernel calls its translation makes (as for a `.pte`), and its nodes with their Python lines.
fn inspect_pt2(bytes: &[u8]) -> Result<Inspection, crate::Error> {
    let ep = crate::pt2::parse(bytes)?;
    let nodes: Vec<NodeInfo> = ep
        .nodes
        .iter()
        .map(|n| NodeInfo { target: n.target.clone(), at: n.source_line(), supported: crate::lower::pt2::is_supported(&n.target) })
        .collect();
    let constant_bytes = ep.data.values().map(|d| d.bytes.len()).sum();
    let mut info = match crate::lower::pt2::translate(&ep) {
        Ok(t) => method(&t.program, &t.bytes, &t.program.plans[0]),
        Err(_) => {
            let mut ops: BTreeMap<String, (usize, bool)> = BTreeMap::new();
            for n in &nodes {
                ops.entry(n.target.clone()).or_insert((0, n.supported)).0 += 1;
            }
            MethodInfo { name: "forward".into(), inputs: Vec::new(), outputs: Vec::new(), ops, delegated: BTreeMap::new(), executorch_arena: None, nodes: Vec::new() }
        }
    };
    info.nodes = nodes;
    let etch = generate(bytes, &Config::new("model")).map(|g| g.summary);
    Ok(Inspection { file_bytes: bytes.len(), constant_bytes, methods: vec![info], etch })
}
