//! `d2l`: the command line of burn-d2l. `d2l train <experiment> [options]` trains an experiment
//! of d2l.ai chapters 3–4 into a run folder and prints its summary as one JSON line (`--resume`
//! continues one); `evaluate`, `predict` and `export` use a trained run; `runs` lists them and
//! `compare` puts several side by side; `sweep` trains a grid or a file of trials, one process
//! each; `bench` times the book's recipes against PyTorch; `kernels` counts wgpu's launches.
//!
//! One module per verb: its arguments (clap) and one `exec`, which calls `d2l::experiments`
//! and prints; JSON is made here. A verb fails with a usage error (exit 2: what was asked
//! cannot be done, nothing ran) or a runtime failure (exit 1: it ran and failed), or is
//! interrupted (130). `cargo xtask <verb>` builds the binary with a backend and runs it.

mod bench;
mod compare;
mod evaluate;
mod export;
mod kernels;
mod predict;
mod runs;
mod sweep;
mod train;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use d2l::Backend;
use d2l::Device;
use d2l::devices::Adapter;
use d2l::experiments::{Entry, Env, Error, experiment_of, find};
use peak_alloc::PeakAlloc;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

/// The options every verb takes, before or after its name, meaning the same everywhere.
#[derive(Debug, Args)]
struct Global {
    /// Backend: flex, ndarray or wgpu, among those compiled in [default: $D2L_BACKEND, else
    /// the first compiled].
    #[arg(long, global = true)]
    backend: Option<Backend>,
    /// Refuse to run but on a GPU: an error for the CPU backends and for a software adapter
    /// (wgpu falls back to one when the GPU's Vulkan driver is missing) [also: $D2L_REQUIRE_GPU].
    #[arg(long, global = true)]
    require_gpu: bool,
    /// Data directory [default: $D2L_DATA_DIR, else the repository's datasets/].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// No progress bars or per-stage lines on stderr.
    #[arg(long, global = true)]
    quiet: bool,
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
}

/// How a verb failed: a usage error (exit 2), a failed run (exit 1), or an interrupted one
/// (exit 130, as a shell reports Ctrl-C).
enum Failure {
    Usage(String),
    Run(String),
    Interrupted(String),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        match error {
            Error::Option(message) => Failure::Usage(message),
            interrupted @ (Error::Interrupted { .. } | Error::SweepInterrupted { .. }) => {
                Failure::Interrupted(interrupted.to_string())
            }
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

/// The first Ctrl-C asks training to stop after the current epoch and its checkpoint, or a
/// sweep to start no other trial (`what` says which, on stderr at once); a second one ends the
/// process there and then.
fn stop_on_ctrl_c(what: &'static str) -> Result<(), Failure> {
    use signal_hook::consts::SIGINT;
    use std::sync::atomic::Ordering;
    let flag = d2l::learner::interrupt_flag();
    let registered = signal_hook::flag::register_conditional_shutdown(SIGINT, 130, flag.clone())
        .and_then(|_| signal_hook::flag::register(SIGINT, flag.clone()));
    registered.map_err(|e| Failure::Run(format!("cannot handle Ctrl-C: {e}")))?;
    std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        eprintln!("\nstopping after {what} (Ctrl-C again to stop at once)");
    });
    Ok(())
}

/// The experiment of the run in `run_dir`.
fn entry_of(run_dir: &Path) -> Result<&'static dyn Entry, Failure> {
    let name = experiment_of(run_dir)?;
    find(&name).ok_or_else(|| {
        Failure::Usage(format!(
            "{}: no experiment is called {name}",
            run_dir.display()
        ))
    })
}

/// The backend to run on and its device: the device's adapter, for a GPU backend, with a
/// warning when it is software and an error when a GPU is required (`--require-gpu`,
/// `$D2L_REQUIRE_GPU`).
fn device(global: &Global) -> Result<(Backend, Device, Option<Adapter>), Failure> {
    open_device(global.backend, global.require_gpu)
}

/// [`device`] of `backend` (else the default one), a GPU required or not.
fn open_device(
    backend: Option<Backend>,
    require_gpu: bool,
) -> Result<(Backend, Device, Option<Adapter>), Failure> {
    let (backend, device) = d2l::device(backend)?;
    let adapter = d2l::backend::adapter(&device);
    if require_gpu || d2l::backend::gpu_required_by_env() {
        d2l::backend::require_gpu(backend, adapter.as_ref())?;
    } else if let Some(software) = adapter.as_ref().filter(|a| a.is_software()) {
        eprintln!(
            "warning: {backend} runs on a software adapter, {} ({}), not a GPU; \
             --require-gpu makes this an error",
            software.name, software.driver
        );
    }
    Ok((backend, device, adapter))
}

/// The environment of a verb: the backend's device, the data, progress shown unless
/// `--quiet`.
fn env(global: &Global) -> Result<Env, Failure> {
    let (backend, device, adapter) = device(global)?;
    let mut env = Env::new(backend.name(), device);
    env.adapter = adapter;
    env.data_dir = d2l::data::data_dir(global.data_dir.clone());
    env.progress = !global.quiet;
    Ok(env)
}
