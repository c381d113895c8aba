//! The build-script front-end: generate into `OUT_DIR`, rebuild on change.
//!
//! ```no_run
//! // build.rs: writes OUT_DIR/digits.rs and OUT_DIR/digits.weights.bin
//! etch_codegen::Builder::new("model.pte").name("digits").generate_or_exit();
//! // src/lib.rs: mod digits { include!(concat!(env!("OUT_DIR"), "/digits.rs")); }
//! ```

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{generate, Config, WeightsPath};

pub struct Builder {
    pte: PathBuf,
    name: Option<String>,
    out_dir: Option<PathBuf>,
}

/// What went wrong in a build script, with the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot read `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write `{path}`: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("OUT_DIR is not set: call the Builder from a build script, or set `out_dir`")]
    NoOutDir,
    #[error("`{path}`: {source}")]
    Generate { path: PathBuf, source: crate::Error },
}

impl Builder {
    pub fn new(pte: impl AsRef<Path>) -> Self {
        Self { pte: pte.as_ref().to_path_buf(), name: None, out_dir: None }
    }

    /// The model's name: the generated file is `<name>.rs`. Defaults to the file stem.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Writes here instead of `OUT_DIR`.
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// Generates `<name>.rs` and `<name>.weights.bin`; returns the `.rs` path.
    pub fn generate(self) -> Result<PathBuf, BuildError> {
        println!("cargo:rerun-if-changed={}", self.pte.display());
        let bytes = std::fs::read(&self.pte).map_err(|source| BuildError::Read { path: self.pte.clone(), source })?;
        let name = self.name.clone().unwrap_or_else(|| stem(&self.pte));
        let name = crate::ident::crate_name(&name).replace('-', "_");
        let out_dir = match self.out_dir.clone().or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from)) {
            Some(d) => d,
            None => return Err(BuildError::NoOutDir),
        };
        let weights = format!("{name}.weights.bin");
        let mut config = Config::new(&name);
        config.source = file_name(&self.pte);
        config.weights = if self.out_dir.is_some() {
            WeightsPath::Relative(weights.clone())
        } else {
            WeightsPath::OutDir(weights.clone())
        };
        let generated =
            generate(&bytes, &config).map_err(|source| BuildError::Generate { path: self.pte.clone(), source })?;
        let rs = out_dir.join(format!("{name}.rs"));
        write_if_changed(&rs, generated.model_rs.as_bytes())?;
        write_if_changed(&out_dir.join(weights), &generated.weights)?;
        Ok(rs)
    }

    /// `generate`, printing a readable error and exiting non-zero on failure
    /// (no panic backtrace in the build log).
    pub fn generate_or_exit(self) -> PathBuf {
        match self.generate() {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        }
    }
}

/// Leaves an unchanged file alone, so cargo does not rebuild for nothing.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| BuildError::Write { path: parent.to_path_buf(), source })?;
    }
    // Through a fresh file and a rename: a build that reads `path` at the same
    // time (two crates expanding one model) never sees it half-written.
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let tmp = path.with_file_name(format!(".{}.{}-{n}.tmp", file_name(path), std::process::id()));
    let write = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
    write.map_err(|source| {
        std::fs::remove_file(&tmp).ok();
        BuildError::Write { path: path.to_path_buf(), source }
    })
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into())
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model.pte".into())
}
