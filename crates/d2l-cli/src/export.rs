//! `d2l export RUN_DIR [--format safetensors] [--out FILE]`: a trained run's model for
//! PyTorch ([`d2l::experiments::export`]).

use clap::{Args, ValueEnum};
use d2l::learner::run::files;
use std::path::PathBuf;

use crate::context::{Failure, Global, entry_of, env};

/// Which run to export, and where.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The run folder.
    run_dir: PathBuf,
    /// The file format.
    #[arg(long, value_enum, default_value_t = Format::Safetensors)]
    format: Format,
    /// The file to write [default: RUN_DIR/model.safetensors].
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The formats `export` writes.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// SafeTensors, f32: `safetensors.torch.load_file` reads it, `load_state_dict` takes it.
    Safetensors,
}

/// Writes the file and prints what was written as one JSON line.
pub fn exec(global: &Global, args: &ExportArgs) -> Result<(), Failure> {
    let entry = entry_of(&args.run_dir)?;
    let env = env(global)?;
    let out = match (&args.out, args.format) {
        (Some(out), _) => out.clone(),
        (None, Format::Safetensors) => args.run_dir.join(files::EXPORT),
    };
    let exported = entry.export(&args.run_dir, &out, &env)?;
    println!("{}", crate::context::json(&exported));
    Ok(())
}
