use std::path::Path;
use std::process::ExitCode;

use etch_codegen::{builder::write_if_changed, generate, Config, KernelsDep};

use super::{model_name, read, Result};

pub fn run(model: &Path, out: &Path, name: Option<String>, path: Option<String>, git: Option<String>) -> Result<ExitCode> {
    let bytes = read(model)?;
    let mut config = Config::new(name.unwrap_or_else(|| model_name(model)));
    config.source = model.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    if let Some(p) = path {
        config.kernels = KernelsDep::Path(p);
    } else if let Some(g) = git {
        config.kernels = KernelsDep::Git(g);
    }
    let generated = generate(&bytes, &config).map_err(|e| format!("`{}`: {e}", model.display()))?;
    for (file, content) in generated.crate_files() {
        write_if_changed(&out.join(file), content)?;
    }
    let s = &generated.summary;
    eprintln!(
        "wrote {} ({} method{}, arena {} bytes, weights {} bytes)",
        out.display(),
        s.methods.len(),
        if s.methods.len() == 1 { "" } else { "s" },
        s.arena_bytes,
        s.weight_bytes
    );
    Ok(ExitCode::SUCCESS)
}
