//! Puts memory.x where cortex-m-rt's link.x finds it, and turns the fixtures'
//! cases (npy inputs and ExecuTorch's outputs, meta.json's tolerances) into raw
//! little-endian f32 files in OUT_DIR plus a `Cases` expression per model.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const MODELS: [&str; 2] = ["digits_cnn", "mlp"];

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let out = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    write(&out.join("memory.x"), &read(&manifest.join("memory.x"))?)?;
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    for model in MODELS {
        let dir = manifest.join("../../tests/fixtures").join(model);
        println!("cargo:rerun-if-changed={}", dir.display());
        let rust = cases(model, &dir, &out)?;
        write(&out.join(format!("{model}_cases.rs")), rust.as_bytes())?;
    }
    Ok(())
}

/// Writes each case's input and expected output; returns the `Cases` expression.
fn cases(model: &str, dir: &Path, out: &Path) -> Result<String, String> {
    let meta_path = dir.join("meta.json");
    let meta: serde_json::Value = serde_json::from_slice(&read(&meta_path)?)
        .map_err(|e| format!("{}: {e}", meta_path.display()))?;
    let tolerance = |key: &str| {
        meta[key]
            .as_f64()
            .ok_or_else(|| format!("{}: no number `{key}`", meta_path.display()))
    };
    let (atol, rtol) = (tolerance("atol")? as f32, tolerance("rtol")? as f32);
    let count = meta["cases"].as_array().map_or(0, Vec::len);
    if count == 0 {
        return Err(format!("{}: no cases", meta_path.display()));
    }
    let mut rust = format!(
        "::firmware::Cases {{ name: {model:?}, atol: {atol:?}_f32, rtol: {rtol:?}_f32, cases: &[\n"
    );
    for k in 0..count {
        let case = dir.join("cases").join(k.to_string());
        // The harness feeds one input and checks one output, as these models have.
        for extra in ["in1.npy", "out1.npy"] {
            if case.join(extra).exists() {
                return Err(format!(
                    "{}: the firmware harness takes one input and one output",
                    case.display()
                ));
            }
        }
        let mut paths = Vec::new();
        for name in ["in0", "out0"] {
            let raw = out.join(format!("{model}_{k}_{name}.bin"));
            write(&raw, &f32_le(&case.join(format!("{name}.npy")))?)?;
            paths.push(raw.to_str().ok_or("OUT_DIR is not UTF-8")?.to_owned());
        }
        let _ = writeln!(rust, "    ::firmware::Case {{ input: include_bytes!({:?}), expected: include_bytes!({:?}) }},", paths[0], paths[1]);
    }
    rust.push_str("] }\n");
    Ok(rust)
}

/// A C-order float32 npy file as raw little-endian bytes.
fn f32_le(path: &Path) -> Result<Vec<u8>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let bytes = read(path)?;
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| fail(&e))?;
    if npy.order() != npyz::Order::C {
        return Err(fail(&"Fortran order is not supported"));
    }
    let values: Vec<f32> = npy.into_vec().map_err(|e| fail(&e))?;
    Ok(values.iter().flat_map(|v| v.to_le_bytes()).collect())
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
