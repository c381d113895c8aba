use std::path::Path;
use std::process::ExitCode;

use crate::run::verify::verify;

use super::{setup, KernelsArgs, Result};

pub fn run(
    model: &Path,
    dir: &Path,
    atol: Option<f64>,
    rtol: Option<f64>,
    threads: usize,
    patch: Option<usize>,
    kernels: &KernelsArgs,
) -> Result<ExitCode> {
    let setup = crate::run::Setup { threads, patch, ..setup(kernels)? };
    let report = verify(model, dir, atol, rtol, &setup)?;
    report.print();
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
