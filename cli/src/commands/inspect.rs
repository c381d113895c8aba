use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use etch_codegen::inspect::{inspect, Inspection, MethodInfo};
use etch_codegen::{Error, MethodSummary};
use serde_json::{json, Value};

use super::{read, Result, UNSUPPORTED};

const CONSTANTS_VS_WEIGHTS: &str = "constants are the bytes the .pte stores; weights are what the generated crate \
     embeds after etch folds batch norms, constants and dead values";

const XNNPACK_ARENA: &str = "ExecuTorch's plan leaves out the XNNPACK delegate's own workspace, which it allocates at \
     load time; etch's plan covers the whole method";

pub fn run(model: &Path, json: bool) -> Result<ExitCode> {
    let bytes = read(model)?;
    let info = inspect(&bytes).map_err(|e| format!("`{}`: {e}", model.display()))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&to_json(model, &info))?);
    } else {
        print(model, &info);
    }
    Ok(match &info.etch {
        Ok(_) => ExitCode::SUCCESS,
        Err(Error::Unsupported(_)) => ExitCode::from(UNSUPPORTED),
        Err(_) => ExitCode::FAILURE,
    })
}

fn print(model: &Path, info: &Inspection) {
    println!("{}: {}, {} of constants", model.display(), size(info.file_bytes as u64), size(info.constant_bytes as u64));
    for m in &info.methods {
        let planned = etch_method(info, &m.name);
        println!("\nmethod `{}`", m.name);
        for (k, i) in m.inputs.iter().enumerate() {
            println!("  input {k}: {i}");
        }
        for (k, o) in m.outputs.iter().enumerate() {
            println!("  output {k}: {o}");
        }
        println!("  ops:");
        table(&m.ops);
        if !m.nodes.is_empty() {
            println!("  ATen nodes of the exported graph, with their source:");
            let width = m.nodes.iter().map(|n| n.target.len()).max().unwrap_or(0);
            for n in &m.nodes {
                let at = n.at.as_deref().unwrap_or("(no stack trace)");
                println!("    {:width$}  {at}{}", n.target, if n.supported { "" } else { "  UNSUPPORTED" });
            }
        }
        if !m.delegated.is_empty() {
            println!("  inside XNNPACK delegates:");
            table(&m.delegated);
        }
        if let Some(p) = planned {
            println!("  cost: {} parameters, {} multiply-adds per call, {} kernel calls", count(p.params), count(p.macs), p.kernel_calls);
            int8(&p.int8);
        }
        if let Some(r) = planned.and_then(|p| p.patch.as_ref()) {
            patch(r);
        }
        println!(
            "  arena: ExecuTorch {}{}, etch {}",
            m.executorch_arena.map_or(if m.nodes.is_empty() { "?".into() } else { "none (a .pt2 has no ExecuTorch plan)".to_string() }, |b| size(b as u64)),
            if m.delegated.is_empty() { "" } else { " (without XNNPACK's workspace)" },
            planned.map_or("n/a".into(), |p| size(p.arena_bytes as u64)),
        );
    }
    if info.methods.iter().any(|m| !m.delegated.is_empty()) {
        println!("  note: {XNNPACK_ARENA}");
    }
    match &info.etch {
        Ok(s) => {
            println!("\netch: compiles; Model holds {} of arena, weights {}", size(s.arena_bytes as u64), size(s.weight_bytes as u64));
            if s.state_bytes > 0 {
                println!("  state: {} that persist across calls (reset() restores them)", size(s.state_bytes as u64));
            }
            for m in s.methods.iter().filter(|m| !m.sizes.is_empty()) {
                let sizes: Vec<String> = m.sizes.iter().map(|z| format!("dim {} of input {} (at most {})", z.dim, z.input, z.bound)).collect();
                println!("  `{}` takes runtime sizes: {}", m.name, sizes.join(", "));
            }
            println!("  note: {CONSTANTS_VS_WEIGHTS}");
        }
        Err(e) => {
            println!("\netch: does not compile yet:\n{e}");
            println!("  (every ExecuTorch portable op and XNNPACK node type, supported or not: docs/OPS.md)");
        }
    }
}

/// How many quantized ops run on int8 kernels, and which stay f32 and why.
fn int8(r: &etch_codegen::Int8Report) {
    if r.int8_ops == 0 && r.fallbacks.is_empty() {
        return;
    }
    println!("  int8: {} ops on int8 kernels, {} quantized ops left in f32", r.int8_ops, r.fallbacks.len());
    for f in &r.fallbacks {
        println!("    {} (instruction {}): {}", f.op, f.instruction, f.reason);
    }
}

/// The arena with and without patch-based execution, and the halos' cost.
fn patch(r: &etch_codegen::PatchReport) {
    let extra = r.macs_with as f64 / r.macs_without.max(1) as f64 - 1.0;
    println!(
        "  patch-based execution{}: arena {} without, {} with {}×{} patches over the first {} convolutions \
         ({} multiply-adds per call, {:+.1}% for the recomputed halos){}{}",
        if r.applied { " (on)" } else { "" },
        size(r.arena_without as u64),
        size(r.arena_with as u64),
        r.grid[0],
        r.grid[1],
        r.convs,
        count(r.macs_with),
        100.0 * extra,
        if r.streams_input { "; the input is read row by row, only the rows in flight kept" } else { "" },
        if r.applied { "" } else { "; `etch compile --patch 0` turns it on" },
    );
}

fn table(ops: &BTreeMap<String, (usize, bool)>) {
    let width = ops.keys().map(String::len).max().unwrap_or(0);
    for (name, (n, ok)) in ops {
        println!("    {name:width$}  x{n:<4} {}", if *ok { "supported" } else { "UNSUPPORTED" });
    }
}

fn etch_method<'a>(info: &'a Inspection, name: &str) -> Option<&'a MethodSummary> {
    info.etch.as_ref().ok()?.methods.iter().find(|e| e.name == name)
}

/// The `--json` report; its fields are listed in the README.
fn to_json(model: &Path, info: &Inspection) -> Value {
    let ops = |t: &BTreeMap<String, (usize, bool)>| -> Vec<Value> {
        t.iter().map(|(name, (n, ok))| json!({"name": name, "count": n, "supported": ok})).collect()
    };
    let method = |m: &MethodInfo| {
        let p = etch_method(info, &m.name);
        json!({
            "name": m.name,
            "inputs": m.inputs,
            "outputs": m.outputs,
            "ops": ops(&m.ops),
            "delegated_ops": ops(&m.delegated),
            "nodes": m.nodes.iter().map(|n| json!({"target": n.target, "at": n.at, "supported": n.supported})).collect::<Vec<_>>(),
            "executorch_arena_bytes": m.executorch_arena,
            "executorch_arena_excludes_xnnpack": !m.delegated.is_empty(),
            "etch_arena_bytes": p.map(|p| p.arena_bytes),
            "params": p.map(|p| p.params),
            "macs": p.map(|p| p.macs),
            "kernel_calls": p.map(|p| p.kernel_calls),
            "runtime_sizes": p.map(|p| p.sizes.iter().map(|z| json!({"input": z.input, "dim": z.dim, "bound": z.bound})).collect::<Vec<_>>()),
            "int8_ops": p.map(|p| p.int8.int8_ops),
            "patch": p.and_then(|p| p.patch.as_ref()).map(|r| json!({
                "applied": r.applied, "grid": r.grid, "convs": r.convs,
                "arena_without_bytes": r.arena_without, "arena_with_bytes": r.arena_with,
                "macs_without": r.macs_without, "macs_with": r.macs_with,
                "streams_input": r.streams_input,
            })),
            "int8_fallbacks": p.map(|p| p.int8.fallbacks.iter()
                .map(|f| json!({"op": f.op, "instruction": f.instruction, "reason": f.reason}))
                .collect::<Vec<_>>()),
        })
    };
    let (summary, error) = match &info.etch {
        Ok(s) => (Some(s), None),
        Err(e) => (None, Some(e)),
    };
    let unsupported: Vec<Value> = match error {
        Some(Error::Unsupported(u)) => u
            .ops
            .iter()
            .map(|o| json!({"name": o.name, "count": o.count, "method": o.method, "first_instruction": o.first_instruction, "at": o.at}))
            .collect(),
        _ => Vec::new(),
    };
    json!({
        "file": model.display().to_string(),
        "file_bytes": info.file_bytes,
        "constant_bytes": info.constant_bytes,
        "compiles": summary.is_some(),
        "error": error.map(|e| e.to_string()),
        "unsupported": unsupported,
        "arena_bytes": summary.map(|s| s.arena_bytes),
        "state_bytes": summary.map(|s| s.state_bytes),
        "weight_bytes": summary.map(|s| s.weight_bytes),
        "methods": info.methods.iter().map(method).collect::<Vec<_>>(),
    })
}

/// `5.74 MiB (6,021,120 bytes)`; small sizes as bytes alone.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let (mut v, mut unit) = (bytes as f64 / 1024.0, 0);
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    let digits = if v < 10.0 { 2 } else if v < 100.0 { 1 } else { 0 };
    format!("{v:.digits$} {} ({} bytes)", UNITS[unit], count(bytes))
}

/// `6,021,120`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(size(1000), "1000 bytes");
        assert_eq!(size(24_576), "24.0 KiB (24,576 bytes)");
        assert_eq!(size(6_021_120), "5.74 MiB (6,021,120 bytes)");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_234_567), "1,234,567");
    }
}
