//! Puts memory.x where cortex-m-rt's link.x finds it, and turns the fixtures'
//! cases (npy inputs and ExecuTorch's outputs, meta.json's tolerances) into raw
//! files in OUT_DIR plus a `Cases` expression per model. A model whose program
//! begins by quantizing its input is fed through its int8 entry point: its
//! inputs are quantized here, exactly as that first op would (etch-kernels'
//! own `quantize_one`), so the firmware never holds the f32 input.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Binary name, program (relative to this crate; `zoo:` is under the zoo),
/// most cases to run, and whether the outputs must be ExecuTorch's bit for bit.
const MODELS: [(&str, &str, usize, bool); 17] = [
    ("digits_cnn", "../../tests/fixtures/digits_cnn/model.pte", 8, false),
    ("mlp", "../../tests/fixtures/mlp/model.pte", 8, false),
    ("ds_cnn", "../../tests/fixtures/ds_cnn/model.pte", 2, false),
    ("vww", "../../tests/fixtures/vww/model.pte", 2, false),
    ("resnet8", "../../tests/fixtures/resnet8/model.pte", 2, false),
    // The portable int8 programs run on int8 kernels only and land on
    // ExecuTorch's outputs exactly; their XNNPACK twins within the tolerance.
    ("ds_cnn_int8", "../../tests/fixtures/ds_cnn_int8/model.pte", 2, true),
    ("ds_cnn_int8_xnnpack", "../../tests/fixtures/ds_cnn_int8/model.xnnpack.pte", 2, false),
    ("vww_int8", "../../tests/fixtures/vww_int8/model.pte", 2, true),
    ("vww_int8_xnnpack", "../../tests/fixtures/vww_int8/model.xnnpack.pte", 2, false),
    // The same two with patch-based execution of their first convolutions.
    ("vww_int8_patched", "../../tests/fixtures/vww_int8/model.pte", 2, true),
    ("vww_int8_xnnpack_patched", "../../tests/fixtures/vww_int8/model.xnnpack.pte", 2, false),
    ("resnet8_int8", "../../tests/fixtures/resnet8_int8/model.pte", 2, true),
    ("resnet8_int8_xnnpack", "../../tests/fixtures/resnet8_int8/model.xnnpack.pte", 2, false),
    ("autoencoder_int8", "../../tests/fixtures/autoencoder_int8/model.pte", 2, true),
    ("autoencoder_int8_xnnpack", "../../tests/fixtures/autoencoder_int8/model.xnnpack.pte", 2, false),
    // 3.6 MB of weights: one case fits beside them in 4 MiB of flash.
    ("mobilenet_v2_int8", "zoo:mobilenet_v2_int8/model.pte", 1, false),
    ("mobilenet_v2_int8_xnnpack", "zoo:mobilenet_v2_int8/model.xnnpack.pte", 1, false),
];

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
    // The zoo beside the checkout, as CI has it (the binaries include it from there).
    let zoo = manifest.join("../../../shared/models");
    for (model, program, most, exact) in MODELS {
        let program = match program.strip_prefix("zoo:") {
            Some(rel) => zoo.join(rel),
            None => manifest.join(program),
        };
        let dir = program.parent().ok_or("a program path has no folder")?;
        println!("cargo:rerun-if-changed={}", dir.display());
        let int8 = int8_input(&program)?;
        let rust = cases(model, dir, &out, most, exact, int8)?;
        write(&out.join(format!("{model}_cases.rs")), rust.as_bytes())?;
    }
    Ok(())
}

/// The int8 scale and zero point of the program's input, when etch gives it an int8 entry point.
fn int8_input(program: &Path) -> Result<Option<(f32, i32)>, String> {
    let bytes = read(program)?;
    let g = etch_codegen::generate(&bytes, &etch_codegen::Config::new("model")).map_err(|e| format!("{}: {e}", program.display()))?;
    Ok(g.summary.methods.first().and_then(|m| m.int8_input))
}

/// Writes each case's input and expected output; returns the `Cases` expression.
fn cases(model: &str, dir: &Path, out: &Path, most: usize, exact: bool, int8: Option<(f32, i32)>) -> Result<String, String> {
    let meta_path = dir.join("meta.json");
    let meta: serde_json::Value = serde_json::from_slice(&read(&meta_path)?)
        .map_err(|e| format!("{}: {e}", meta_path.display()))?;
    let tolerance = |key: &str| {
        meta[key]
            .as_f64()
            .ok_or_else(|| format!("{}: no number `{key}`", meta_path.display()))
    };
    let (atol, rtol) = if exact { (0.0, 0.0) } else { (tolerance("atol")? as f32, tolerance("rtol")? as f32) };
    let count = meta["cases"].as_array().map_or(0, Vec::len).min(most);
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
            let values = f32s(&case.join(format!("{name}.npy")))?;
            let bytes: Vec<u8> = match int8 {
                Some((scale, zp)) if name == "in0" => {
                    let inv = 1.0f32 / scale;
                    values.iter().map(|&v| etch_kernels::quant::affine::quantize_one(v, inv, zp, -128, 127) as i8 as u8).collect()
                }
                _ => values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            };
            write(&raw, &bytes)?;
            paths.push(raw.to_str().ok_or("OUT_DIR is not UTF-8")?.to_owned());
        }
        let _ = writeln!(rust, "    ::firmware::Case {{ input: include_bytes!({:?}), expected: include_bytes!({:?}) }},", paths[0], paths[1]);
    }
    rust.push_str("] }\n");
    Ok(rust)
}

/// A C-order float32 npy file's values.
fn f32s(path: &Path) -> Result<Vec<f32>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let bytes = read(path)?;
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| fail(&e))?;
    if npy.order() != npyz::Order::C {
        return Err(fail(&"Fortran order is not supported"));
    }
    npy.into_vec().map_err(|e| fail(&e))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
