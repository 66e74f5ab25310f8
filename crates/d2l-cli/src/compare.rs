//! `d2l compare RUN_DIR RUN_DIR... [--out FILE]`: runs side by side.

use clap::Args;
use d2l::experiments::runs::compare;
use std::path::PathBuf;

use crate::context::Failure;

/// Which runs to compare.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The run folders (two or more).
    #[arg(required = true, num_args = 2..)]
    run_dirs: Vec<PathBuf>,
    /// The overlay plot.
    #[arg(long, default_value = "compare.svg")]
    out: PathBuf,
}

/// Prints their differing settings and results, and draws their curves in one plot.
pub fn exec(args: &CompareArgs) -> Result<(), Failure> {
    let comparison = compare(&args.run_dirs, &args.out)?;
    print!("{}", comparison.table);
    eprintln!("curves: {}", args.out.display());
    Ok(())
}
