//! `d2l bench [--epochs N] [--pytorch SCRIPT]`: the book's recipes timed, beside PyTorch.

use clap::Args;
use d2l::Backend;
use d2l::experiments::bench::{BenchReport, pytorch_reference, time_burn};
use std::path::{Path, PathBuf};

use crate::context::{Failure, Global, device};

/// What the benchmark times and where it writes.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Epochs timed per recipe (the median is reported).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..))]
    epochs: u16,
    /// The PyTorch reference script; skipped when torch does not import.
    #[arg(long)]
    pytorch: Option<PathBuf>,
    /// The Python interpreter for the reference [default: $D2L_PYTHON, else python3].
    #[arg(long)]
    python: Option<PathBuf>,
    /// Where to write the JSON report (the timed runs' folders go beside it, in runs/).
    #[arg(long, default_value = "target/bench/bench.json")]
    out: PathBuf,
}

/// Times the recipes, writes the report and prints it.
pub fn exec(global: &Global, args: &BenchArgs) -> Result<(), Failure> {
    let (backend, device, adapter) = device(global)?;
    let data_dir = d2l::data::data_dir(global.data_dir.clone());
    let runs_dir = args.out.parent().unwrap_or(Path::new(".")).join("runs");
    let epochs = usize::from(args.epochs);
    // Another backend is timed beside flex, in the same run, when this build has flex.
    let flex = match backend != Backend::Flex && Backend::Flex.is_compiled() {
        true => Some(time_burn(
            Backend::Flex.name(),
            None,
            &Backend::Flex.device()?,
            &data_dir,
            &runs_dir.join(Backend::Flex.name()),
            epochs,
        )?),
        false => None,
    };
    let burn = time_burn(
        backend.name(),
        adapter,
        &device,
        &data_dir,
        &runs_dir,
        epochs,
    )?;
    let python = args
        .python
        .clone()
        .or_else(|| std::env::var_os("D2L_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("python3"));
    let pytorch = args.pytorch.as_ref().and_then(|script| {
        pytorch_reference(&python, script, &data_dir, epochs)
            .map_err(|why| eprintln!("PyTorch reference skipped: {why}"))
            .ok()
    });
    let report = BenchReport::new(burn, flex, pytorch);
    let json = serde_json::to_string_pretty(&report).expect("a report serialises");
    let write = |path: &Path, result: std::io::Result<()>| {
        result.map_err(|e| Failure::Run(format!("cannot write {}: {e}", path.display())))
    };
    if let Some(dir) = args.out.parent() {
        write(dir, std::fs::create_dir_all(dir))?;
    }
    write(&args.out, std::fs::write(&args.out, format!("{json}\n")))?;
    println!("{json}");
    eprintln!("written to {}", args.out.display());
    Ok(())
}
