//! Every bundled program's crate also builds with all its features on
//! (`alloc`'s `new_boxed`, `ndarray`'s views): `etch compile` must never
//! write a crate that fails to build, whatever its user turns on.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn every_fixture_crate_checks_with_all_features() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let kernels = root.join("kernels").canonicalize().unwrap();
    let work = root.join("target/etch-work/features");
    let mut programs: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures"))
        .unwrap()
        .flat_map(|e| {
            let dir = e.unwrap().path();
            ["model.pte", "model.xnnpack.pte"].map(|f| dir.join(f))
        })
        .filter(|p| p.is_file())
        .collect();
    programs.sort();
    let mut compiled = 0;
    for pte in &programs {
        let name = format!("{}-{}", pte.parent().unwrap().file_name().unwrap().to_string_lossy(), pte.file_stem().unwrap().to_string_lossy().replace('.', "-"));
        let mut config = etch_codegen::Config::new(&name);
        config.kernels = etch_codegen::KernelsDep::Path(kernels.display().to_string());
        let generated = match etch_codegen::generate(&std::fs::read(pte).unwrap(), &config) {
            Ok(g) => g,
            // Refused on purpose: f64 scales of portable dynamic quantization (its twin compiles).
            Err(etch_codegen::Error::Unsupported(_)) if pte.ends_with("dq_mlp/model.pte") => continue,
            Err(e) => panic!("{}: {e}", pte.display()),
        };
        for (file, content) in generated.crate_files() {
            etch_codegen::builder::write_if_changed(&work.join(&name).join(file), content).unwrap();
        }
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["check", "--quiet", "--all-features", "--manifest-path"])
            .arg(work.join(&name).join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", work.join("target"))
            .output()
            .expect("cannot run cargo");
        assert!(out.status.success(), "{}: the crate does not build with all features:\n{}", pte.display(), String::from_utf8_lossy(&out.stderr));
        compiled += 1;
    }
    assert_eq!(compiled, programs.len() - 1, "every program but dq_mlp's portable one");
}
