//! The `etch` command line: compile, inspect, verify and bench `.pte` programs.

use std::process::ExitCode;

use clap::Parser;
use etch_cli::commands::{run, Cli};

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
