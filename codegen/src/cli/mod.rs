//! Subcommands. Each reads files, calls the library, and prints.

mod bench;
mod compile;
mod inspect;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// etch: ExecuTorch programs (.pte) compiled to standalone no_std Rust.
#[derive(Parser)]
#[command(name = "etch", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a standalone crate for MODEL.pte into DIR.
    Compile {
        model: PathBuf,
        #[arg(short, long)]
        out: PathBuf,
        /// Crate name (default: the model's directory or file name).
        #[arg(long)]
        name: Option<String>,
        /// Depend on etch-kernels at this path instead of a version.
        #[arg(long, conflicts_with = "kernels_git")]
        kernels_path: Option<String>,
        /// Depend on etch-kernels from this git URL instead of a version.
        #[arg(long)]
        kernels_git: Option<String>,
    },
    /// Show methods, ops (supported or not), weights and the memory plans.
    Inspect { model: PathBuf },
    /// Build the model and check it against expected outputs in DIR/cases.
    Verify {
        model: PathBuf,
        /// A directory with `cases/<k>/in<i>.npy`, `out<j>.npy` and `meta.json`.
        dir: PathBuf,
        /// Absolute tolerance (default: meta.json's `atol`).
        #[arg(long)]
        atol: Option<f64>,
        /// Relative tolerance (default: meta.json's `rtol`).
        #[arg(long)]
        rtol: Option<f64>,
    },
    /// Time the generated code on case 0 of DIR.
    Bench {
        model: PathBuf,
        dir: PathBuf,
        #[arg(long, default_value_t = 100)]
        iters: usize,
        /// Print one JSON line: {"median_ms":…,"min_ms":…,"p90_ms":…,"iters":…}
        #[arg(long)]
        json: bool,
        /// Build the generated crate as a user's default build, without its `std` feature
        #[arg(long)]
        no_std: bool,
    },
}

pub use etch_codegen::run::{model_name, read, Result};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Compile { model, out, name, kernels_path, kernels_git } => {
            compile::run(&model, &out, name, kernels_path, kernels_git)
        }
        Command::Inspect { model } => inspect::run(&model),
        Command::Verify { model, dir, atol, rtol } => verify::run(&model, &dir, atol, rtol),
        Command::Bench { model, dir, iters, json, no_std } => bench::run(&model, &dir, iters, json, no_std),
    }
}
