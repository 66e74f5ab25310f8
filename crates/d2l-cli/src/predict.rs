//! `d2l predict RUN_DIR --input FILE`: a trained run's model applied to the user's data.

use clap::Args;
use std::path::PathBuf;

use crate::context::{Failure, Global, entry_of, env};

/// Which run predicts what.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// The run folder.
    run_dir: PathBuf,
    /// The data to predict: a CSV with Kaggle's schema (house), an IDX file of images, gzip'd
    /// or not, or a 28x28 greyscale PNG (Fashion-MNIST).
    #[arg(long)]
    input: PathBuf,
    /// The predictions' CSV [default: RUN_DIR/predictions-<input's name>.csv]; Fashion-MNIST
    /// runs draw the first images beside it (the same name, .svg).
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Writes the predictions and prints what was written as one JSON line.
pub fn exec(global: &Global, args: &PredictArgs) -> Result<(), Failure> {
    let entry = entry_of(&args.run_dir)?;
    let env = env(global)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args.input.file_stem().unwrap_or_default().to_string_lossy();
        let stem = stem.strip_suffix(".csv").unwrap_or(&stem).to_string();
        args.run_dir.join(format!("predictions-{stem}.csv"))
    });
    let prediction = entry.predict(&args.run_dir, &args.input, &out, &env)?;
    println!("{}", crate::context::json(&prediction));
    Ok(())
}
