use std::path::Path;
use std::process::ExitCode;

use etch_codegen::run::bench::bench_with;
use etch_codegen::run::harness::Build;

use super::Result;

pub fn run(model: &Path, dir: &Path, iters: usize, json: bool, no_std: bool) -> Result<ExitCode> {
    let (method, t) = bench_with(model, dir, iters, Build { std: !no_std })?;
    if json {
        println!("{}", t.json());
    } else {
        println!(
            "{} `{method}` on case 0, {} iterations: median {:.4} ms, min {:.4} ms, p90 {:.4} ms",
            model.display(),
            t.iters,
            t.median_ms,
            t.min_ms,
            t.p90_ms
        );
    }
    Ok(ExitCode::SUCCESS)
}
