//! Times the generated code on case 0, in the release harness.

use std::path::Path;
use std::process::Command;

use super::cases;
use super::{harness, Result, Setup};

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub median_ms: f64,
    pub min_ms: f64,
    pub p90_ms: f64,
    pub iters: usize,
}

impl Timing {
    /// One JSON line: `{"median_ms":…,"min_ms":…,"p90_ms":…,"iters":…}`.
    pub fn json(&self) -> String {
        format!(
            "{{\"median_ms\":{},\"min_ms\":{},\"p90_ms\":{},\"iters\":{}}}",
            self.median_ms, self.min_ms, self.p90_ms, self.iters
        )
    }
}

pub fn bench(model: &Path, dir: &Path, iters: usize, setup: &Setup) -> Result<(String, Timing)> {
    let cases = cases::load(dir, Some((0.0, 0.0)))?;
    let case = &cases.cases[0];
    let h = harness::build(model, setup, |s| super::verify::check(s, &cases))?;
    let run_dir = h.dir.join("bench");
    std::fs::create_dir_all(&run_dir)?;
    cases::write_inputs(&run_dir, &case.inputs)?;
    let out = Command::new(&h.binary)
        .arg("bench")
        .arg(&run_dir)
        .arg(&case.method)
        .arg(iters.max(1).to_string())
        .env("ETCH_THREADS", setup.threads.max(1).to_string())
        .output()?;
    if !out.status.success() {
        return Err(format!("the harness failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr)).into());
    }
    let line = String::from_utf8(out.stdout)?;
    let v: serde_json::Value = serde_json::from_str(line.trim())?;
    let ms = |k: &str| v.get(k).and_then(serde_json::Value::as_f64).unwrap_or(f64::NAN);
    let timing = Timing { median_ms: ms("median_ms"), min_ms: ms("min_ms"), p90_ms: ms("p90_ms"), iters: ms("iters") as usize };
    Ok((case.method.clone(), timing))
}
