//! `d2l`: the command line of burn-d2l. `d2l train <experiment> [options]` trains an experiment
//! of d2l.ai chapters 3–4 into a run folder and prints its summary as one JSON line (`--resume`
//! continues one); `evaluate`, `predict` and `export` use a trained run; `runs` lists them and
//! `compare` puts several side by side; `sweep` trains a grid or a file of trials, one process
//! each; `bench` times the book's recipes against PyTorch; `kernels` counts wgpu's launches;
//! `serve` hosts this machine's devices for `--backend remote` on others.
//!
//! One module per verb: its arguments (clap) and one `exec`, which calls `d2l::experiments`
//! and prints; JSON is made here. A verb fails with a usage error (exit 2: what was asked
//! cannot be done, nothing ran) or a runtime failure (exit 1: it ran and failed), or is
//! interrupted (130). `cargo xtask <verb>` builds the binary with a backend and runs it.

mod bench;
mod compare;
mod context;
mod evaluate;
mod export;
mod kernels;
mod predict;
mod runs;
mod serve;
mod sweep;
mod train;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use peak_alloc::PeakAlloc;
use std::process::ExitCode;

use context::{Failure, Global};

/// Counts the heap, so that `numerical-stability` can report what a training step holds.
#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// Dive into Deep Learning (chapters 3–4) with Burn.
#[derive(Debug, Parser)]
#[command(name = "d2l", version)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Train an experiment (default: softmax) into a run folder and print its summary as one
    /// JSON line; with --resume, continue a run from its last checkpoint.
    Train(train::TrainArgs),
    /// Evaluate a trained run's saved model on its held-out data; print the JSON results.
    Evaluate(evaluate::EvaluateArgs),
    /// Apply a trained run's model to your data: house runs price a CSV with Kaggle's schema,
    /// Fashion-MNIST runs classify an IDX file of images or a 28x28 greyscale PNG.
    Predict(predict::PredictArgs),
    /// Write a trained run's model for PyTorch: SafeTensors under the parameter names of d2l's
    /// PyTorch network (`1.weight`, `1.bias`, ...; weights as nn.Linear keeps them); print what
    /// was written as JSON.
    Export(export::ExportArgs),
    /// List the runs of a folder: experiment, backend, epochs, headline result, status.
    Runs(runs::RunsArgs),
    /// Put runs side by side: their differing settings and results, and one overlay plot of
    /// their curves.
    Compare(compare::CompareArgs),
    /// Train many trials of an experiment (a grid of options, or a sweep file) into one
    /// folder and rank them: results.csv, results.md, curves.svg.
    Sweep(sweep::SweepArgs),
    /// Time Burn on the book's recipes and, when torch imports, the PyTorch reference; write
    /// the figures and their ratios as JSON.
    Bench(bench::BenchArgs),
    /// Count the kernels the Fashion-MNIST recipes launch per training step and per evaluation
    /// pass on wgpu (a few batches each, after a warm-up); print them as JSON.
    Kernels(kernels::KernelsArgs),
    /// Host this machine's devices for `--backend remote` clients on other machines (Burn's
    /// remote server over WebSocket, token-authorised), until Ctrl-C or SIGTERM.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let command = Cli::command().mut_subcommand("train", train::with_experiments);
    let matches = command.get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let global = &cli.global;
    let result = match &cli.verb {
        Verb::Train(args) => {
            let train = matches
                .subcommand_matches("train")
                .expect("the verb is train");
            train::exec(global, args, train)
        }
        Verb::Evaluate(args) => evaluate::exec(global, args),
        Verb::Predict(args) => predict::exec(global, args),
        Verb::Export(args) => export::exec(global, args),
        Verb::Runs(args) => runs::exec(args),
        Verb::Compare(args) => compare::exec(args),
        Verb::Sweep(args) => sweep::exec(global, args),
        Verb::Bench(args) => bench::exec(global, args),
        Verb::Kernels(args) => kernels::exec(global, args),
        Verb::Serve(args) => serve::exec(global, args),
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
        Err(Failure::Interrupted(message)) => {
            eprintln!("{message}");
            ExitCode::from(130)
        }
    }
}
