//! Embeds the sources of `etch-kernels` (when built inside the etch checkout)
//! so that `etch compile --vendor` works wherever the binary is installed.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    let kernels = Path::new(&std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../kernels");
    let mut files = Vec::new();
    if kernels.join("Cargo.toml").is_file() {
        println!("cargo:rerun-if-changed={}", kernels.display());
        walk(&kernels.join("src"), &mut files);
        files.sort();
    }
    let mut out = String::from("/// `etch-kernels`' sources, relative to its root (empty outside the etch checkout).\npub const FILES: &[(&str, &[u8])] = &[\n");
    for f in &files {
        let rel = f.strip_prefix(&kernels).unwrap().to_string_lossy().replace('\\', "/");
        let abs = f.canonicalize().unwrap();
        writeln!(out, "    ({rel:?}, include_bytes!({:?})),", abs.display().to_string()).unwrap();
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("kernels_src.rs");
    std::fs::write(dest, out).unwrap();
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, files);
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
}
