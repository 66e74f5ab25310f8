//! `d2l evaluate RUN_DIR`: a trained run's saved model on its held-out data.

use clap::Args;
use std::path::PathBuf;

use crate::context::{Failure, Global, entry_of, env};

/// Which run to evaluate.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The run folder.
    run_dir: PathBuf,
}

/// Prints the run's held-out results as one JSON line.
pub fn exec(global: &Global, args: &EvaluateArgs) -> Result<(), Failure> {
    let entry = entry_of(&args.run_dir)?;
    let env = env(global)?;
    let evaluation = entry.evaluate(&args.run_dir, &env)?;
    println!("{}", crate::context::json(&evaluation));
    Ok(())
}
