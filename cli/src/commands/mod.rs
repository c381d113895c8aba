//! Subcommands. Each reads files, calls the library, and prints.

mod bench;
mod cache;
mod compile;
mod inspect;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

pub use crate::run::{model_name, read, Result};

/// The exit code of a program that etch cannot compile yet (unsupported ops).
pub const UNSUPPORTED: u8 = 3;

const EXIT_CODES: &str = "\
Exit codes:
  0  success (inspect: the program compiles; verify: every output matches)
  1  error: unreadable or malformed file, failed build, or a verify mismatch
  2  usage error (bad arguments)
  3  the program uses ops etch does not support yet (all are listed)";

/// etch: ExecuTorch programs (.pte) compiled to standalone no_std Rust crates.
#[derive(Parser)]
#[command(name = "etch", version, about, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where a generated crate takes `etch-kernels` from.
#[derive(Args, Clone, Default)]
pub struct KernelsArgs {
    /// Depend on the etch-kernels crate in this directory (relative to the
    /// current directory). Default: the etch-kernels this etch was built from,
    /// when it is still there, else crates.io.
    #[arg(long, value_name = "DIR", conflicts_with = "kernels_git")]
    pub kernels_path: Option<PathBuf>,
    /// Depend on etch-kernels from this git repository.
    #[arg(long, value_name = "URL")]
    pub kernels_git: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Write a standalone crate for MODEL into DIR.
    #[command(after_help = EXIT_CODES)]
    Compile {
        /// The ExecuTorch program (.pte).
        model: PathBuf,
        /// The crate's directory: new, empty, or one etch generated before.
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
        /// The crate's name (default: the name of DIR).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        kernels: KernelsArgs,
        /// Copy etch-kernels into DIR/vendor/etch-kernels and depend on that,
        /// so DIR is self-contained.
        #[arg(long, conflicts_with_all = ["kernels_path", "kernels_git"])]
        vendor: bool,
        /// Write into DIR even if it holds files etch did not generate.
        #[arg(long)]
        force: bool,
        /// Patch-based execution of the leading int8 convolutions over N × N
        /// patches of their last output (0: the grid that plans the smallest arena).
        #[arg(long, value_name = "N")]
        patch: Option<usize>,
    },
    /// Will MODEL compile, and what will it cost: methods, ops, weights, arenas.
    #[command(after_help = EXIT_CODES)]
    Inspect {
        /// The ExecuTorch program (.pte).
        model: PathBuf,
        /// Print one JSON object instead of the report (fields in the README).
        #[arg(long)]
        json: bool,
    },
    /// Build MODEL and check it against the expected outputs in DIR.
    #[command(after_help = EXIT_CODES)]
    Verify {
        /// The ExecuTorch program (.pte).
        model: PathBuf,
        /// A directory with `cases/<k>/in<i>.npy`, `out<j>.npy` and (optional
        /// with both tolerances given) `meta.json`.
        dir: PathBuf,
        /// Absolute tolerance (default: meta.json's `atol`).
        #[arg(long)]
        atol: Option<f64>,
        /// Relative tolerance (default: meta.json's `rtol`).
        #[arg(long)]
        rtol: Option<f64>,
        /// Run with this many threads (the generated crate's `threads` feature).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: u16,
        /// Patch-based execution of the leading int8 convolutions over N × N
        /// patches of their last output (0: the grid that plans the smallest arena).
        #[arg(long, value_name = "N")]
        patch: Option<usize>,
        #[command(flatten)]
        kernels: KernelsArgs,
    },
    /// Time the generated code (release build) on case 0 of DIR.
    Bench {
        /// The ExecuTorch program (.pte).
        model: PathBuf,
        /// A cases directory, as for `verify`.
        dir: PathBuf,
        /// Timed calls, after 3 warm-up calls.
        #[arg(long, default_value_t = 100)]
        iters: usize,
        /// Print one JSON line: {"median_ms":…,"min_ms":…,"p90_ms":…,"iters":…}
        #[arg(long)]
        json: bool,
        /// Build the generated crate as a user's default build, without its `std` feature.
        #[arg(long)]
        no_std: bool,
        /// Threads the large kernels split across: above 1, the generated crate is
        /// built with its `threads` feature (needs std).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        threads: u16,
        #[command(flatten)]
        kernels: KernelsArgs,
    },
    /// The build cache of `verify` and `bench` ($ETCH_CACHE, else
    /// $XDG_CACHE_HOME/etch, else ~/.cache/etch).
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

#[derive(Subcommand)]
enum CacheAction {
    /// Print the cache's path and size.
    Info,
    /// Remove the cache and print how much it freed.
    Clean,
}

/// The harness setup for `verify` and `bench`: the cache, and the kernels given
/// on the command line (a relative path resolved from the current directory).
fn setup(args: &KernelsArgs) -> Result<crate::run::Setup> {
    let mut setup = crate::run::Setup::from_env()?;
    if let Some(kernels) = crate::kernels::given(args, None)? {
        setup.kernels = kernels;
    }
    Ok(setup)
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Compile { model, out, name, kernels, vendor, force, patch } => {
            compile::run(&compile::Options { model, out, name, kernels, vendor, force, patch })
        }
        Command::Inspect { model, json } => inspect::run(&model, json),
        Command::Verify { model, dir, atol, rtol, threads, patch, kernels } => {
            verify::run(&model, &dir, atol, rtol, threads.into(), patch, &kernels)
        }
        Command::Bench { model, dir, iters, json, no_std, threads, kernels } => bench::run(&model, &dir, iters, json, no_std, threads.into(), &kernels),
        Command::Cache { action: CacheAction::Info } => cache::info(),
        Command::Cache { action: CacheAction::Clean } => cache::clean(),
    }
}
