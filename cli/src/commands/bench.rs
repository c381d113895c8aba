use std::path::Path;
use std::process::ExitCode;

use crate::run::bench::bench;

use super::{setup, KernelsArgs, Result};

pub fn run(model: &Path, dir: &Path, iters: usize, json: bool, no_std: bool, threads: usize, kernels: &KernelsArgs) -> Result<ExitCode> {
    if no_std && threads > 1 {
        return Err("--threads needs std: it cannot go with --no-std".into());
    }
    let setup = crate::run::Setup { std: !no_std, threads, ..setup(kernels)? };
    let (method, t) = bench(model, dir, iters, &setup)?;
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
