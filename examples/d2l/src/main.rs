//! `d2l`: the command line of burn-d2l. `d2l train <experiment> [options]` trains an experiment
//! of d2l.ai chapters 3–4 into a run folder and prints its summary as one JSON line;
//! `d2l bench` times the book's recipes against PyTorch. `cargo xtask <verb>` builds it with
//! a backend and runs it. Parsing and printing only: the work is in `d2l::experiments`.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use d2l::Backend;
use d2l::experiments::bench::{BenchReport, pytorch_reference, time_burn};
use d2l::experiments::{DEFAULT, EXPERIMENTS, Env, Error};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Dive into Deep Learning (chapters 3–4) with Burn.
#[derive(Debug, Parser)]
#[command(name = "d2l", version)]
struct Cli {
    /// Backend: flex, ndarray or wgpu, among those compiled in [default: $D2L_BACKEND, else
    /// the first compiled].
    #[arg(long, global = true)]
    backend: Option<Backend>,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Train an experiment (default: softmax) into a run folder and print its summary as one
    /// JSON line.
    Train(TrainArgs),
    /// Time Burn on the book's recipes and, when torch imports, the PyTorch reference; write
    /// the figures and their ratios as JSON.
    Bench(BenchArgs),
}

/// Where a training run reads and writes.
#[derive(Debug, Args)]
struct TrainArgs {
    /// Data directory [default: $D2L_DATA_DIR, else the repository's datasets/].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Where run folders are created.
    #[arg(long, global = true, default_value = "runs")]
    runs_dir: PathBuf,
    /// No progress bars or per-stage lines on stderr.
    #[arg(long, global = true)]
    quiet: bool,
}

/// What the benchmark times and where it writes.
#[derive(Debug, Args)]
struct BenchArgs {
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

/// How a verb failed: a usage error (exit 2) or a failed run (exit 1).
enum Failure {
    Usage(String),
    Run(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::Option(message) => Failure::Usage(message),
            other => Failure::Run(other.to_string()),
        }
    }
}

impl From<d2l::backend::BackendError> for Failure {
    fn from(error: d2l::backend::BackendError) -> Self {
        Failure::Run(error.to_string())
    }
}

fn main() -> ExitCode {
    let command = Cli::command().mut_subcommand("train", |train| {
        EXPERIMENTS
            .iter()
            .fold(train, |train, entry| train.subcommand(entry.command()))
            .subcommand_required(true)
            .after_help(compiled_backends())
    });
    let matches = command.get_matches_from(with_default_experiment(std::env::args_os().collect()));
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = match &cli.verb {
        Verb::Train(args) => train(cli.backend, args, &matches),
        Verb::Bench(args) => bench(cli.backend, args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Run(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn compiled_backends() -> String {
    let compiled: Vec<&str> = Backend::compiled().iter().map(|b| b.name()).collect();
    format!(
        "Backends compiled into this binary: {}",
        compiled.join(", ")
    )
}

/// `d2l train [OPTIONS]` with no experiment trains the default one: its name is inserted after
/// `train` and the options that belong to `train` itself.
fn with_default_experiment(mut args: Vec<OsString>) -> Vec<OsString> {
    let text = |i: usize| args.get(i).and_then(|a| a.to_str());
    let mut i = 1;
    while let Some(arg) = text(i).filter(|a| a.starts_with('-')) {
        i += if arg == "--backend" { 2 } else { 1 };
    }
    if text(i) != Some("train") {
        return args;
    }
    let mut j = i + 1;
    while let Some(arg) = text(j) {
        match arg {
            "--backend" | "--data-dir" | "--runs-dir" => j += 2,
            "--quiet" => j += 1,
            _ if ["--backend=", "--data-dir=", "--runs-dir="]
                .iter()
                .any(|p| arg.starts_with(p)) =>
            {
                j += 1
            }
            _ => break,
        }
    }
    let needs_default = match args.get(j) {
        None => true,
        Some(arg) => {
            let arg = arg.to_string_lossy();
            arg.starts_with('-') && !["-h", "--help", "-V", "--version"].contains(&arg.as_ref())
        }
    };
    if needs_default {
        args.insert(j.min(args.len()), DEFAULT.into());
    }
    args
}

fn train(
    backend: Option<Backend>,
    args: &TrainArgs,
    matches: &clap::ArgMatches,
) -> Result<(), Failure> {
    let (name, options) = matches
        .subcommand_matches("train")
        .and_then(clap::ArgMatches::subcommand)
        .expect("train requires an experiment");
    let entry = d2l::experiments::find(name).expect("clap accepts only registered experiments");
    let (backend, device) = d2l::device(backend)?;
    let mut env = Env::new(backend.name(), device);
    env.data_dir = d2l::data::data_dir(args.data_dir.clone());
    env.runs_dir.clone_from(&args.runs_dir);
    env.progress = !args.quiet;
    println!("{}", entry.train(options, &env)?);
    Ok(())
}

fn bench(backend: Option<Backend>, args: &BenchArgs) -> Result<(), Failure> {
    let (backend, device) = d2l::device(backend)?;
    let data_dir = d2l::data::data_dir(None);
    let runs_dir = args.out.parent().unwrap_or(Path::new(".")).join("runs");
    let epochs = usize::from(args.epochs);
    let burn = time_burn(backend.name(), &device, &data_dir, &runs_dir, epochs)?;
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
    let report = BenchReport::new(burn, pytorch);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(line: &str) -> String {
        let args = line.split_whitespace().map(OsString::from).collect();
        let args: Vec<String> = with_default_experiment(args)
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        args.join(" ")
    }

    #[test]
    fn train_without_an_experiment_gets_the_default_one_after_its_own_options() {
        assert_eq!(expanded("d2l train"), "d2l train softmax");
        assert_eq!(
            expanded("d2l --backend flex train --quiet --epochs 3"),
            "d2l --backend flex train --quiet softmax --epochs 3"
        );
        assert_eq!(
            expanded("d2l train --runs-dir r --data-dir=d"),
            "d2l train --runs-dir r --data-dir=d softmax"
        );
        for unchanged in [
            "d2l train mlp --epochs 3",
            "d2l train --backend flex house",
            "d2l train --help",
            "d2l train nothing",
            "d2l bench --epochs 1",
            "d2l",
        ] {
            assert_eq!(expanded(unchanged), unchanged);
        }
    }
}
