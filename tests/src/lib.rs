//! Shared helpers of the end-to-end tests.

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

/// Verifies `dir/model.pte` (or another program file in `dir`) against
/// `dir/cases`, printing the table, and fails the test on any mismatch.
pub fn verify(dir: &std::path::Path, program: &str) {
    let model = dir.join(program);
    assert!(model.exists(), "{} is missing", model.display());
    let report = etch_codegen::run::verify::verify(&model, dir, None, None)
        .unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    report.print();
    assert!(report.passed(), "{} does not match ExecuTorch's outputs", model.display());
}
