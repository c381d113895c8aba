use std::path::Path;
use std::process::{Command, ExitCode};

use super::cases;
use super::{harness, Result};

pub fn run(model: &Path, dir: &Path, iters: usize, json: bool) -> Result<ExitCode> {
    let cases = cases::load(dir)?;
    let case = &cases.cases[0];
    let h = harness::build(model)?;
    let run_dir = h.dir.join("bench");
    std::fs::create_dir_all(&run_dir)?;
    for (i, a) in case.inputs.iter().enumerate() {
        std::fs::write(run_dir.join(format!("in{i}.bin")), a.to_le_bytes())?;
    }
    let out = Command::new(&h.binary)
        .arg("bench")
        .arg(&run_dir)
        .arg(&case.method)
        .arg(iters.max(1).to_string())
        .output()?;
    if !out.status.success() {
        return Err(format!("the harness failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)).into());
    }
    let line = String::from_utf8(out.stdout)?.trim().to_string();
    if json {
        println!("{line}");
    } else {
        let v: serde_json::Value = serde_json::from_str(&line)?;
        let ms = |k: &str| v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
        println!(
            "{} `{}` on case 0, {} iterations: median {:.4} ms, min {:.4} ms, p90 {:.4} ms",
            model.display(),
            case.method,
            ms("iters"),
            ms("median_ms"),
            ms("min_ms"),
            ms("p90_ms")
        );
    }
    Ok(ExitCode::SUCCESS)
}
