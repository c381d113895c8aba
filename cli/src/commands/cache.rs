use std::process::ExitCode;

use super::inspect::size;
use super::Result;
use crate::cache;

pub fn info() -> Result<ExitCode> {
    let dir = cache::dir();
    println!("{}: {}", dir.display(), size(cache::size(&dir)));
    Ok(ExitCode::SUCCESS)
}

pub fn clean() -> Result<ExitCode> {
    let dir = cache::dir();
    let bytes = cache::size(&dir);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("cannot remove `{}`: {e}", dir.display()))?;
    }
    println!("removed {} ({} freed)", dir.display(), size(bytes));
    Ok(ExitCode::SUCCESS)
}
