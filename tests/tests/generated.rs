//! The crates committed in generated/ build on their own, as a user's would,
//! and the example in each README runs. (.ci/drift.sh checks that they are
//! what etch writes today.)

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn generated_crates(root: &Path) -> Vec<PathBuf> {
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("generated"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    crates.sort();
    assert!(crates.len() >= 5, "expected the five small models in generated/, found {crates:?}");
    crates
}

/// `cargo <args>` on a manifest, with one target dir for all generated crates
/// (apart from the workspace's), so etch-kernels builds once.
fn cargo(root: &Path, args: &[&str], manifest: &Path) -> std::process::Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .arg("--manifest-path")
        .arg(manifest)
        .env("CARGO_TARGET_DIR", root.join("target/generated-check"))
        .output()
        .expect("cannot run cargo")
}

#[test]
fn every_generated_crate_builds() {
    let root = root();
    for dir in generated_crates(&root) {
        for file in ["README.md", "src/lib.rs", "src/weights.bin"] {
            assert!(dir.join(file).is_file(), "{} has no {file}", dir.display());
        }
        let out = cargo(&root, &["build", "--quiet"], &dir.join("Cargo.toml"));
        assert!(out.status.success(), "{} does not build:\n{}", dir.display(), String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn every_readme_example_runs() {
    let root = root();
    let (mut deps, mut body) = (String::new(), String::new());
    for dir in generated_crates(&root) {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let example = readme
            .split_once("allocate it on the heap:\n```rust\n")
            .and_then(|(_, rest)| rest.split_once("```"))
            .map(|(code, _)| code)
            .unwrap_or_else(|| panic!("{name}/README.md has no example"));
        // As the README's `cargo add --features alloc` writes it.
        deps += &format!("{name} = {{ path = {:?}, features = [\"alloc\"] }}\n", dir.display().to_string());
        body += &format!("    {{\n{example}    }}\n");
    }
    // One program with every example in a block of its own.
    let dir = root.join("target/readme-examples");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let manifest = format!(
        "[package]\nname = \"readme-examples\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{deps}\n[workspace]\n"
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::write(dir.join("src/main.rs"), format!("fn main() {{\n{body}}}\n")).unwrap();
    let out = cargo(&root, &["run", "--quiet"], &dir.join("Cargo.toml"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    // codec prints two methods, the other four one each.
    assert_eq!(stdout.lines().filter(|l| l.contains(": [") || l.contains(": ([")).count(), 6, "{stdout}");
}
