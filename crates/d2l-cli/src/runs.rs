//! `d2l runs [--runs-dir DIR]`: the runs of a folder, a line each.

use clap::Args;
use d2l::experiments::runs::{list_runs, runs_table};
use std::path::PathBuf;

use crate::context::Failure;

/// Where the runs are.
#[derive(Debug, Args)]
pub struct RunsArgs {
    /// The folder of run folders.
    #[arg(long, default_value = "runs")]
    runs_dir: PathBuf,
}

/// Prints the table of runs.
pub fn exec(args: &RunsArgs) -> Result<(), Failure> {
    print!("{}", runs_table(&list_runs(&args.runs_dir)?));
    Ok(())
}
