use std::path::Path;
use std::process::ExitCode;

use etch_codegen::inspect::inspect;

use super::{read, Result};

pub fn run(model: &Path) -> Result<ExitCode> {
    let bytes = read(model)?;
    let info = inspect(&bytes).map_err(|e| format!("`{}`: {e}", model.display()))?;
    println!("{}: {} bytes, {} bytes of constants", model.display(), info.file_bytes, info.constant_bytes);
    for m in &info.methods {
        println!("\nmethod `{}`", m.name);
        for (k, i) in m.inputs.iter().enumerate() {
            println!("  input {k}: {i}");
        }
        for (k, o) in m.outputs.iter().enumerate() {
            println!("  output {k}: {o}");
        }
        println!("  ops:");
        let width = m.ops.keys().map(String::len).max().unwrap_or(0);
        for (name, (count, ok)) in &m.ops {
            println!("    {name:width$}  x{count:<4} {}", if *ok { "supported" } else { "UNSUPPORTED" });
        }
        if !m.delegated.is_empty() {
            println!("  inside XNNPACK delegates:");
            let width = m.delegated.keys().map(String::len).max().unwrap_or(0);
            for (name, (count, ok)) in &m.delegated {
                println!("    {name:width$}  x{count:<4} {}", if *ok { "supported" } else { "UNSUPPORTED" });
            }
        }
        let planned = match &info.etch {
            Ok(s) => s.methods.iter().find(|e| e.name == m.name).map(|e| e.arena_bytes.to_string()),
            Err(_) => None,
        };
        println!(
            "  arena: ExecuTorch {} bytes, etch {}",
            m.executorch_arena.map_or("?".into(), |b| b.to_string()),
            planned.map_or("n/a".into(), |b| format!("{b} bytes"))
        );
    }
    match &info.etch {
        Ok(s) => {
            println!("\netch: compiles; Model holds {} arena bytes, weights {} bytes", s.arena_bytes, s.weight_bytes);
            if s.state_bytes > 0 {
                println!("  state: {} bytes that persist across calls (reset() restores them)", s.state_bytes);
            }
            for m in s.methods.iter().filter(|m| !m.sizes.is_empty()) {
                let sizes: Vec<String> = m.sizes.iter().map(|z| format!("dim {} of input {} (at most {})", z.dim, z.input, z.bound)).collect();
                println!("  `{}` takes runtime sizes: {}", m.name, sizes.join(", "));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("\netch: does not compile yet:\n{e}");
            println!("  (every ExecuTorch portable op and XNNPACK node type, supported or not: docs/OPS.md)");
            Ok(ExitCode::from(2))
        }
    }
}
