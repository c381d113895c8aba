use std::path::Path;
use std::process::ExitCode;

use etch_codegen::run::verify::verify;

use super::Result;

pub fn run(model: &Path, dir: &Path, atol: Option<f64>, rtol: Option<f64>) -> Result<ExitCode> {
    let report = verify(model, dir, atol, rtol)?;
    report.print();
    Ok(if report.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
