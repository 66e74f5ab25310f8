//! `d2l-bench`: times the Fashion-MNIST load and softmax-regression epochs with Burn and, when
//! `torch` imports, runs the PyTorch reference of the same recipes in the same process tree,
//! then writes all figures and their ratios as JSON. Run it through `cargo xtask bench`.

use clap::Parser;
use d2l::Backend;
use d2l::bench::{BenchReport, pytorch_reference, time_burn};
use std::path::PathBuf;
use std::process::ExitCode;

/// Benchmark Burn against the PyTorch reference on the book's recipes.
#[derive(Debug, Parser)]
#[command(name = "d2l-bench")]
struct Cli {
    /// Epochs timed per recipe (the median is reported).
    #[arg(long, default_value_t = 5)]
    epochs: usize,
    /// Backend, among those compiled in.
    #[arg(long)]
    backend: Option<Backend>,
    /// The PyTorch reference script; skipped when `torch` does not import.
    #[arg(long)]
    pytorch: Option<PathBuf>,
    /// The Python interpreter for the reference [default: $D2L_PYTHON, else python3].
    #[arg(long)]
    python: Option<PathBuf>,
    /// Where to write the JSON report.
    #[arg(long, default_value = "target/bench/bench.json")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let burn = match time_burn(cli.backend, cli.epochs) {
        Ok(burn) => burn,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let python = cli
        .python
        .or_else(|| std::env::var_os("D2L_PYTHON").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("python3"));
    let pytorch =
        cli.pytorch.and_then(
            |script| match pytorch_reference(&python, &script, cli.epochs) {
                Ok(figures) => Some(figures),
                Err(why) => {
                    eprintln!("PyTorch reference skipped: {why}");
                    None
                }
            },
        );
    let report = BenchReport::new(burn, pytorch);
    let json = serde_json::to_string_pretty(&report).expect("a report serialises");
    if let Some(dir) = cli.out.parent()
        && let Err(err) = std::fs::create_dir_all(dir)
    {
        eprintln!("error: cannot create {}: {err}", dir.display());
        return ExitCode::FAILURE;
    }
    if let Err(err) = std::fs::write(&cli.out, format!("{json}\n")) {
        eprintln!("error: cannot write {}: {err}", cli.out.display());
        return ExitCode::FAILURE;
    }
    println!("{json}");
    eprintln!("written to {}", cli.out.display());
    ExitCode::SUCCESS
}
