//! Building and running a generated crate on the host: `etch verify` and
//! `etch bench`. Unlike `generate`, this does I/O and runs cargo.

pub mod bench;
pub mod cases;
pub mod harness;
pub mod verify;

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
