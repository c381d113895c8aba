//! Where a generated crate finds `etch-kernels` until it is on crates.io:
//! a path (checked), a git URL, or a copy vendored into the crate.

use std::path::{Component, Path, PathBuf};

use etch_codegen::KernelsDep;

use crate::commands::KernelsArgs;
use crate::run::Result;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/kernels_src.rs"));
}

/// The `etch-kernels` this binary was built from, if it is still on disk.
pub fn built_from() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernels");
    is_kernels(&dir).then(|| dir.canonicalize().ok()).flatten()
}

fn is_kernels(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| t.contains("name = \"etch-kernels\""))
}

/// The dependency the command line asks for, if any. A relative
/// `--kernels-path` is taken from the current directory and, given the
/// crate's directory, written relative to it (so both can move together).
pub fn given(args: &KernelsArgs, crate_dir: Option<&Path>) -> Result<Option<KernelsDep>> {
    if let Some(url) = &args.kernels_git {
        return Ok(Some(KernelsDep::Git(url.clone())));
    }
    let Some(given) = &args.kernels_path else { return Ok(None) };
    let dir = std::env::current_dir()?.join(given);
    if !is_kernels(&dir) {
        return Err(format!("--kernels-path `{}`: no etch-kernels crate there (no Cargo.toml naming etch-kernels)", dir.display()).into());
    }
    let dir = dir.canonicalize()?;
    let path = match crate_dir {
        Some(c) if given.is_relative() => relative(&resolved(c)?, &dir),
        _ => dir,
    };
    Ok(Some(KernelsDep::Path(path.display().to_string())))
}

/// The kernels this etch was built from while they are on disk, else crates.io.
pub fn default_dep() -> KernelsDep {
    match built_from() {
        Some(dir) => KernelsDep::Path(dir.display().to_string()),
        None => KernelsDep::Version(env!("CARGO_PKG_VERSION").into()),
    }
}

/// Where `--vendor` puts the copy, relative to the crate.
pub const VENDORED: &str = "vendor/etch-kernels";

/// Whether this binary carries the `etch-kernels` sources.
pub fn embedded() -> bool {
    !embedded::FILES.is_empty()
}

/// Copies `etch-kernels` into `crate_dir/vendor/etch-kernels`.
pub fn vendor(crate_dir: &Path) -> Result<()> {
    unpack(&crate_dir.join(VENDORED))
}

/// Writes the `etch-kernels` sources this binary carries as a crate at `root`.
pub fn unpack(root: &Path) -> Result<()> {
    if !embedded() {
        return Err("this etch was built without the etch-kernels sources, so it cannot --vendor them; use --kernels-path".into());
    }
    for (file, bytes) in embedded::FILES {
        etch_codegen::builder::write_if_changed(&root.join(file), bytes)?;
    }
    etch_codegen::builder::write_if_changed(&root.join("Cargo.toml"), manifest().as_bytes())?;
    Ok(())
}

/// The vendored copy's manifest: `kernels/Cargo.toml` without the workspace
/// inheritance and without the `macros` feature (a host-only proc-macro).
pub fn manifest() -> String {
    format!(
        "# Vendored by etch {v} — do not edit; `etch compile --vendor` rewrites it.\n\
         [package]\nname = \"etch-kernels\"\nversion = \"{v}\"\nedition = \"2021\"\nlicense = \"MIT OR Apache-2.0\"\npublish = false\n\n\
         [dependencies]\nlibm = \"0.2\"\nndarray = {{ version = \"0.16\", optional = true }}\n\n\
         [features]\ndefault = []\nstd = [\"alloc\"]\nthreads = [\"std\"]\nalloc = []\nndarray = [\"std\", \"dep:ndarray\"]\n\n\
         # `macros` re-exports include_model!, which a vendored copy leaves out.\n\
         [lints.rust]\nunexpected_cfgs = {{ level = \"warn\", check-cfg = [\"cfg(feature, values(\\\"macros\\\"))\"] }}\n",
        v = env!("CARGO_PKG_VERSION")
    )
}

/// `p` made absolute with symlinks and `..` resolved, even if it does not exist yet.
fn resolved(p: &Path) -> Result<PathBuf> {
    let mut base = std::path::absolute(p)?;
    let mut rest = Vec::new();
    while !base.exists() {
        match base.file_name() {
            Some(name) => rest.push(name.to_owned()),
            None => break,
        }
        base.pop();
    }
    let mut out = base.canonicalize()?;
    out.extend(rest.iter().rev());
    Ok(out)
}

/// `to` as a path relative to `from` (both absolute and canonical).
fn relative(from: &Path, to: &Path) -> PathBuf {
    let (a, b): (Vec<Component>, Vec<Component>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..a.len() {
        out.push("..");
    }
    for c in &b[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        assert_eq!(relative(Path::new("/a/b/c"), Path::new("/a/k")), Path::new("../../k"));
        assert_eq!(relative(Path::new("/a"), Path::new("/a/k/l")), Path::new("k/l"));
    }

    /// The vendored manifest keeps kernels/Cargo.toml's dependencies and features.
    #[test]
    fn vendored_manifest_matches_the_kernels_manifest() {
        let real = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../kernels/Cargo.toml")).unwrap();
        let vendored = manifest();
        let section = |text: &str, name: &str| -> Vec<String> {
            let start = text.find(&format!("[{name}]")).map(|i| i + name.len() + 2).unwrap_or(text.len());
            let body = &text[start..];
            let end = body.find("\n[").unwrap_or(body.len());
            body[..end]
                .lines()
                .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
                .filter(|k| !k.starts_with('#') && k != "etch-macros" && k != "macros")
                .collect()
        };
        assert_eq!(section(&real, "dependencies"), section(&vendored, "dependencies"));
        assert_eq!(section(&real, "features"), section(&vendored, "features"));
        assert!(!embedded::FILES.is_empty() && embedded::FILES.iter().any(|(f, _)| *f == "src/lib.rs"));
    }
}
