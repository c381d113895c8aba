//! Building and running a generated crate on the host: `etch verify` and
//! `etch bench`. Unlike `generate`, this does I/O and runs cargo.

pub mod bench;
pub mod cases;
pub mod harness;
pub mod verify;

use std::path::PathBuf;

use etch_codegen::KernelsDep;

/// Where harness builds happen and which `etch-kernels` they use.
#[derive(Debug, Clone)]
pub struct Setup {
    pub kernels: KernelsDep,
    /// Generated crates, harnesses and their shared cargo target go here.
    pub cache: PathBuf,
    /// Build the generated crate with its `std` feature; off, as a user's
    /// default (no_std) build.
    pub std: bool,
    /// Above 1: build with the `threads` feature and run with this many threads.
    pub threads: usize,
    /// `Config::patch` of the generated crate.
    pub patch: Option<usize>,
}

impl Setup {
    /// In [`crate::cache::dir`], with the kernels this etch was built from: its
    /// checkout while it is there, else the copy inside the binary, unpacked
    /// into the cache (else crates.io).
    pub fn from_env() -> Result<Self> {
        let cache = crate::cache::dir();
        let kernels = if crate::kernels::built_from().is_none() && crate::kernels::embedded() {
            let dir = cache.join(concat!("kernels-", env!("CARGO_PKG_VERSION")));
            crate::kernels::unpack(&dir)?;
            KernelsDep::Path(dir.display().to_string())
        } else {
            crate::kernels::default_dep()
        };
        Ok(Self { kernels, cache, std: true, threads: 1, patch: None })
    }
}

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Reads a file, naming it in the error.
pub fn read(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()).into())
}

/// A model's default name: its directory for `dir/model.pte`, else its stem.
pub fn model_name(path: &std::path::Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = stem.split('.').next().unwrap_or_default().to_string();
    if stem == "model" {
        let dir = path.canonicalize().ok().and_then(|p| Some(p.parent()?.file_name()?.to_string_lossy().into_owned()));
        if let Some(dir) = dir {
            return dir;
        }
    }
    stem
}
