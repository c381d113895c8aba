//! The build cache of `etch verify` and `etch bench`: generated crates, their
//! harnesses and one shared cargo target directory.

use std::path::{Path, PathBuf};

/// `$ETCH_CACHE`, else `$XDG_CACHE_HOME/etch`, else `~/.cache/etch`.
pub fn dir() -> PathBuf {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(d) = var("ETCH_CACHE") {
        return d;
    }
    if let Some(d) = var("XDG_CACHE_HOME") {
        return d.join("etch");
    }
    match var("HOME") {
        Some(home) => home.join(".cache/etch"),
        None => std::env::temp_dir().join("etch-cache"),
    }
}

/// Bytes under `path` (0 when it does not exist).
pub fn size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else { return 0 };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path).map_or(0, |entries| entries.flatten().map(|e| size(&e.path())).sum())
}
