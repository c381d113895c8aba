//! Shared helpers of the end-to-end tests.

pub mod coverage;

use std::path::PathBuf;

/// `tests/fixtures/<name>` in this repository.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

/// The zoo named by `ETCH_ZOO`, if set. Tests on it fail when a file is
/// missing, never skip: a set `ETCH_ZOO` promises the files are there.
pub fn zoo() -> Option<PathBuf> {
    // Relative to the workspace root, where the README's command runs.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::var_os("ETCH_ZOO").map(|z| root.join(z))
}

/// Full-size `.pt2` archives named by `ETCH_PT2_ZOO`, if set: what
/// `tests/export/pt2.py DIR resnet18 mobilenet_v2 mobilenet_v3_small` writes
/// (141 MB, so never committed and not in the shared zoo). As with `ETCH_ZOO`,
/// a set variable promises the files: a missing one fails.
pub fn pt2_zoo() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::var_os("ETCH_PT2_ZOO").map(|z| root.join(z))
}

/// Harness builds go to `target/etch-work` of this checkout, with its own kernels.
pub fn setup() -> etch_cli::run::Setup {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let kernels = root.join("kernels").canonicalize().expect("the kernels crate");
    etch_cli::run::Setup {
        kernels: etch_codegen::KernelsDep::Path(kernels.display().to_string()),
        cache: root.join("target/etch-work"),
        std: true,
        threads: 1,
        patch: None,
    }
}

/// Verifies `dir/model.pte` (or another program file in `dir`) against
/// `dir/cases`, printing the table, and fails the test on any mismatch.
pub fn verify(dir: &std::path::Path, program: &str) {
    verify_with(dir, program, &setup());
}

/// `verify` with another setup (another thread count, say).
pub fn verify_with(dir: &std::path::Path, program: &str, setup: &etch_cli::run::Setup) {
    let model = dir.join(program);
    assert!(model.exists(), "{} is missing", model.display());
    let report = etch_cli::run::verify::verify(&model, dir, None, None, setup)
        .unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    report.print();
    assert!(report.passed(), "{} does not match ExecuTorch's outputs", model.display());
}

/// Compiles `dir/model.pte` into a crate, builds `main_rs` as a program that
/// uses it as `model`, runs it and returns what it printed: for tests of the
/// generated API itself (errors, state, reset).
pub fn run_with_model(dir: &std::path::Path, main_rs: &str) -> String {
    run_with_model_patched(dir, main_rs, None)
}

/// As `run_with_model`, with `Config::patch` set to `patch`.
pub fn run_with_model_patched(dir: &std::path::Path, main_rs: &str, patch: Option<usize>) -> String {
    use std::process::Command;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut name = dir.file_name().unwrap().to_string_lossy().into_owned();
    if let Some(g) = patch {
        name = format!("{name}-patch{g}");
    }
    let work = root.join("target/etch-work").join(format!("api-{name}"));
    let mut config = etch_codegen::Config::new(format!("api-{name}"));
    config.patch = patch;
    let kernels = root.join("kernels").canonicalize().unwrap();
    config.kernels = etch_codegen::KernelsDep::Path(kernels.display().to_string());
    let bytes = std::fs::read(dir.join("model.pte")).unwrap();
    let generated = etch_codegen::generate(&bytes, &config).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for (file, content) in generated.crate_files() {
        etch_codegen::builder::write_if_changed(&work.join("model").join(file), content).unwrap();
    }
    let cargo_toml = format!(
        "[package]\nname = \"api-run-{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nmodel = {{ package = \"api-{name}\", path = \"../model\" }}\n\n[workspace]\n"
    );
    etch_codegen::builder::write_if_changed(&work.join("run/Cargo.toml"), cargo_toml.as_bytes()).unwrap();
    etch_codegen::builder::write_if_changed(&work.join("run/src/main.rs"), main_rs.as_bytes()).unwrap();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["run", "--release", "--quiet", "--manifest-path"])
        .arg(work.join("run/Cargo.toml"))
        .env("CARGO_TARGET_DIR", root.join("target/etch-work/target"))
        .output()
        .expect("cannot run cargo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the program failed ({}):\n{stderr}", out.status);
    String::from_utf8(out.stdout).unwrap()
}
