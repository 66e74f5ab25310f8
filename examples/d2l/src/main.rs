//! `d2l`: the command line of burn-d2l. `d2l train <experiment> [options]` trains an experiment
//! of d2l.ai chapters 3–4 into a run folder and prints its summary as one JSON line (`--resume`
//! continues one); `evaluate` and `predict` use a trained run; `runs` lists them and `compare`
//! puts several side by side; `sweep` trains a grid or a file of trials, one process each;
//! `d2l bench` times the book's recipes against PyTorch.
//! `cargo xtask <verb>` builds it with a backend and runs it. Parsing and printing only: the
//! work is in `d2l::experiments`.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use d2l::Backend;
use d2l::Device;
use d2l::devices::Adapter;
use d2l::experiments::bench::{BenchReport, pytorch_reference, time_burn};
use d2l::experiments::runs::{compare, list_runs, runs_table};
use d2l::experiments::sweep::{
    Launch, SweepFile, Trial, check_trials, final_line, grid, run_sweep,
};
use d2l::experiments::{DEFAULT, EXPERIMENTS, Entry, Env, Error, experiment_of, find};
use d2l::learner::RunDir;
use peak_alloc::PeakAlloc;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// Counts the heap, so that `numerical-stability` can report what a training step holds.
#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

/// Trials a sweep trains at once by default: on the 2-core machines here, four house trials
/// two at a time take 0.62 of the time of one after the other, and three at a time no less
/// than two (README, "Sweeps").
const DEFAULT_JOBS: u16 = 2;

/// Dive into Deep Learning (chapters 3–4) with Burn.
#[derive(Debug, Parser)]
#[command(name = "d2l", version)]
struct Cli {
    /// Backend: flex, ndarray or wgpu, among those compiled in [default: $D2L_BACKEND, else
    /// the first compiled].
    #[arg(long, global = true)]
    backend: Option<Backend>,
    /// Refuse to run but on a GPU: an error for the CPU backends and for a software adapter
    /// (wgpu falls back to one when the GPU's Vulkan driver is missing) [also: $D2L_REQUIRE_GPU].
    #[arg(long, global = true)]
    require_gpu: bool,
    #[command(subcommand)]
    verb: Verb,
}

#[derive(Debug, Subcommand)]
enum Verb {
    /// Train an experiment (default: softmax) into a run folder and print its summary as one
    /// JSON line; with --resume, continue a run from its last checkpoint.
    Train(TrainArgs),
    /// Evaluate a trained run's saved model on its held-out data; print the JSON results.
    Evaluate(EvaluateArgs),
    /// Apply a trained run's model to your data: house runs price a CSV with Kaggle's schema,
    /// Fashion-MNIST runs classify an IDX file of images or a 28x28 greyscale PNG.
    Predict(PredictArgs),
    /// List the runs of a folder: experiment, backend, epochs, headline result, status.
    Runs(RunsArgs),
    /// Put runs side by side: their differing settings and results, and one overlay plot of
    /// their curves.
    Compare(CompareArgs),
    /// Train many trials of an experiment (a grid of options, or a sweep file) into one
    /// folder and rank them: results.csv, results.md, curves.svg.
    Sweep(SweepArgs),
    /// Time Burn on the book's recipes and, when torch imports, the PyTorch reference; write
    /// the figures and their ratios as JSON.
    Bench(BenchArgs),
    /// Count the kernels the Fashion-MNIST recipes launch per training step and per evaluation
    /// pass on wgpu (a few batches each, after a warm-up); print them as JSON.
    Kernels(KernelsArgs),
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
    /// The run folder's name under --runs-dir [default: <experiment>-<timestamp>]; it must
    /// not exist yet.
    #[arg(long, global = true, value_name = "NAME")]
    run_name: Option<String>,
    /// No progress bars or per-stage lines on stderr.
    #[arg(long, global = true)]
    quiet: bool,
    /// Continue the run in this folder from its last checkpoint, with its configuration (only
    /// --epochs may change: a larger number extends a finished run).
    #[arg(long, global = true, value_name = "RUN_DIR")]
    resume: Option<PathBuf>,
}

/// Which run to evaluate.
#[derive(Debug, Args)]
struct EvaluateArgs {
    /// The run folder.
    run_dir: PathBuf,
    /// Data directory [default: $D2L_DATA_DIR, else the repository's datasets/].
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Which run predicts what.
#[derive(Debug, Args)]
struct PredictArgs {
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

/// Where the runs are.
#[derive(Debug, Args)]
struct RunsArgs {
    /// The folder of run folders.
    #[arg(long, default_value = "runs")]
    runs_dir: PathBuf,
}

/// Which runs to compare.
#[derive(Debug, Args)]
struct CompareArgs {
    /// The run folders (two or more).
    #[arg(required = true, num_args = 2..)]
    run_dirs: Vec<PathBuf>,
    /// The overlay plot.
    #[arg(long, default_value = "compare.svg")]
    out: PathBuf,
}

/// A sweep: its experiment, its trials, where it goes. Its own options come before the grid.
#[derive(Debug, Args)]
struct SweepArgs {
    /// The experiment (as `d2l train` names it).
    experiment: String,
    /// A sweep file (TOML) of named trials; the grid's options, one value each, are then
    /// given to every trial (`--epochs 2` for a quick pass).
    #[arg(long)]
    file: Option<PathBuf>,
    /// The sweep folder [default: RUNS_DIR/sweep-<experiment>-<timestamp>]; a sweep run
    /// again into its folder keeps its finished trials and resumes interrupted ones.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Where the sweep folder is created.
    #[arg(long, default_value = "runs")]
    runs_dir: PathBuf,
    /// Data directory [default: $D2L_DATA_DIR, else the repository's datasets/].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Trials trained at once, each in a process of its own (the results do not depend on it).
    #[arg(long, default_value_t = DEFAULT_JOBS, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: u16,
    /// No per-trial lines on stderr.
    #[arg(long)]
    quiet: bool,
    /// The grid: the experiment's options, each with one value or several separated by commas
    /// (--lr 5,1 --hidden 5,64); every combination is a trial.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "GRID"
    )]
    grid: Vec<String>,
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

/// Which recipes' kernels to count.
#[derive(Debug, Args)]
struct KernelsArgs {
    /// The Fashion-MNIST experiments, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "softmax,mlp,dropout")]
    recipes: Vec<String>,
    /// Data directory [default: $D2L_DATA_DIR, else the repository's datasets/].
    #[arg(long)]
    data_dir: Option<PathBuf>,
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
        Verb::Train(args) => train(&cli, args, &matches),
        Verb::Evaluate(args) => evaluate(&cli, args),
        Verb::Predict(args) => predict(&cli, args),
        Verb::Runs(args) => runs(args),
        Verb::Compare(args) => compare_runs(args),
        Verb::Sweep(args) => sweep(&cli, args),
        Verb::Bench(args) => bench(&cli, args),
        Verb::Kernels(args) => kernels(&cli, args),
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
fn device(cli: &Cli) -> Result<(Backend, Device, Option<Adapter>), Failure> {
    open_device(cli.backend, cli.require_gpu)
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

/// The environment of a verb: the backend's device, the data, progress shown or not.
fn env(cli: &Cli, data_dir: Option<PathBuf>, quiet: bool) -> Result<Env, Failure> {
    let (backend, device, adapter) = device(cli)?;
    let mut env = Env::new(backend.name(), device);
    env.adapter = adapter;
    env.data_dir = d2l::data::data_dir(data_dir);
    env.progress = !quiet;
    Ok(env)
}

fn evaluate(cli: &Cli, args: &EvaluateArgs) -> Result<(), Failure> {
    let entry = entry_of(&args.run_dir)?;
    let env = env(cli, args.data_dir.clone(), true)?;
    println!("{}", entry.evaluate(&args.run_dir, &env)?);
    Ok(())
}

fn predict(cli: &Cli, args: &PredictArgs) -> Result<(), Failure> {
    let entry = entry_of(&args.run_dir)?;
    let env = env(cli, None, true)?;
    let out = args.out.clone().unwrap_or_else(|| {
        let stem = args.input.file_stem().unwrap_or_default().to_string_lossy();
        let stem = stem.strip_suffix(".csv").unwrap_or(&stem).to_string();
        args.run_dir.join(format!("predictions-{stem}.csv"))
    });
    println!("{}", entry.predict(&args.run_dir, &args.input, &out, &env)?);
    Ok(())
}

fn runs(args: &RunsArgs) -> Result<(), Failure> {
    print!("{}", runs_table(&list_runs(&args.runs_dir)?));
    Ok(())
}

fn compare_runs(args: &CompareArgs) -> Result<(), Failure> {
    let comparison = compare(&args.run_dirs, &args.out)?;
    print!("{}", comparison.table);
    eprintln!("curves: {}", args.out.display());
    Ok(())
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
    let mut experiment = DEFAULT.to_string();
    while let Some(arg) = text(j) {
        match arg {
            "--resume" => {
                // The resumed run's own experiment (an unreadable folder is named when it runs).
                if let Some(name) = text(j + 1).and_then(|dir| experiment_of(Path::new(dir)).ok()) {
                    experiment = name;
                }
                j += 2;
            }
            "--backend" | "--data-dir" | "--runs-dir" | "--run-name" => j += 2,
            "--quiet" => j += 1,
            _ if ["--backend=", "--data-dir=", "--runs-dir=", "--run-name="]
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
        args.insert(j.min(args.len()), experiment.into());
    }
    args
}

fn train(cli: &Cli, args: &TrainArgs, matches: &clap::ArgMatches) -> Result<(), Failure> {
    let (name, options) = matches
        .subcommand_matches("train")
        .and_then(clap::ArgMatches::subcommand)
        .expect("train requires an experiment");
    let entry = find(name).expect("clap accepts only registered experiments");
    let mut env = env(cli, args.data_dir.clone(), args.quiet)?;
    env.runs_dir.clone_from(&args.runs_dir);
    env.run_name.clone_from(&args.run_name);
    stop_on_ctrl_c("this epoch and its checkpoint")?;
    let line = match &args.resume {
        Some(run_dir) => {
            let saved = entry_of(run_dir)?;
            if saved.name() != name {
                return Err(Failure::Usage(format!(
                    "{} is a run of {}, not of {name}",
                    run_dir.display(),
                    saved.name()
                )));
            }
            entry.resume(options, run_dir, &env)?
        }
        None => entry.train(options, &env)?,
    };
    println!("{line}");
    Ok(())
}

fn sweep(cli: &Cli, args: &SweepArgs) -> Result<(), Failure> {
    let entry = find(&args.experiment).ok_or_else(|| {
        let names: Vec<&str> = EXPERIMENTS.iter().map(|e| e.name()).collect();
        Failure::Usage(format!(
            "no experiment is called {}: one of {}",
            args.experiment,
            names.join(", ")
        ))
    })?;
    let own = [
        "--file",
        "--dir",
        "--runs-dir",
        "--data-dir",
        "--jobs",
        "--quiet",
    ];
    if let Some(misplaced) = args.grid.iter().find(|token| {
        own.iter()
            .any(|o| *token == o || token.starts_with(&format!("{o}=")))
    }) {
        return Err(Failure::Usage(format!(
            "{misplaced} belongs to sweep: put it before the grid's options"
        )));
    }
    let trials = match &args.file {
        Some(path) => {
            let file = SweepFile::read(path)?;
            if let Some(name) = file.experiment.as_deref().filter(|&n| n != entry.name()) {
                return Err(Failure::Usage(format!(
                    "{} is a sweep of {name}, not of {}",
                    path.display(),
                    entry.name()
                )));
            }
            with_common_options(file.trials, &grid(&args.grid)?)?
        }
        None => grid(&args.grid)?,
    };
    check_trials(entry, &trials).map_err(|e| match &args.file {
        Some(path) => Failure::Usage(format!("{}: {e}", path.display())),
        None => e.into(),
    })?;
    let (backend, _, _) = device(cli)?;
    let data_dir = absolute(&d2l::data::data_dir(args.data_dir.clone()))?;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => RunDir::create(&args.runs_dir, &format!("sweep-{}", entry.name()))
            .map_err(Error::from)?
            .path()
            .to_path_buf(),
    };
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Run(format!("cannot find this program to run trials: {e}")))?;
    let train_trial = |trial: &Trial, run_dir: &Path, launch: Launch| -> Result<(), Error> {
        let mut command = Command::new(&exe);
        command
            .args([
                "--backend",
                backend.name(),
                "train",
                "--quiet",
                "--data-dir",
            ])
            .arg(&data_dir);
        if cli.require_gpu {
            command.arg("--require-gpu");
        }
        match launch {
            Launch::Train => {
                let parent = run_dir.parent().unwrap_or(Path::new("."));
                let name = run_dir.file_name().unwrap_or_default();
                command
                    .arg("--runs-dir")
                    .arg(parent)
                    .arg("--run-name")
                    .arg(name);
                command.arg(entry.name()).args(trial.args());
            }
            Launch::Resume => {
                command.arg("--resume").arg(run_dir);
            }
        }
        let output = command
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::Option(format!("cannot start {}: {e}", exe.display())))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr
            .trim()
            .lines()
            .last()
            .unwrap_or("no message")
            .to_string();
        Err(Error::Option(format!("{message} ({})", output.status)))
    };
    stop_on_ctrl_c("the running trials")?;
    let report = run_sweep(
        entry,
        &trials,
        &dir,
        usize::from(args.jobs),
        !args.quiet,
        &train_trial,
    )?;
    print!("{}", report.table);
    eprintln!(
        "results: {0}/results.csv, {0}/results.md; curves: {0}/curves.svg",
        dir.display()
    );
    println!("{}", final_line(&report));
    Ok(())
}

/// The sweep file's `trials` with the single-valued `common` options set in each (replacing
/// the trial's own value).
fn with_common_options(mut trials: Vec<Trial>, common: &[Trial]) -> Result<Vec<Trial>, Failure> {
    let [common] = common else {
        return Err(Failure::Usage(
            "with --file, each option after the experiment takes one value, given to every trial"
                .to_string(),
        ));
    };
    for trial in &mut trials {
        for (option, value) in &common.options {
            trial.options.retain(|(o, _)| o != option);
            trial.options.push((option.clone(), value.clone()));
        }
    }
    Ok(trials)
}

/// `path` made absolute (trials run with it from other folders' points of view).
fn absolute(path: &Path) -> Result<PathBuf, Failure> {
    std::path::absolute(path)
        .map_err(|e| Failure::Run(format!("cannot resolve {}: {e}", path.display())))
}

fn bench(cli: &Cli, args: &BenchArgs) -> Result<(), Failure> {
    let (backend, device, adapter) = device(cli)?;
    let data_dir = d2l::data::data_dir(None);
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

/// Counts kernels with the runtime's kernel log (`$D2L_KERNEL_LOG`, else a file in the
/// temporary folder), started before the device opens.
#[cfg(feature = "wgpu")]
fn kernels(cli: &Cli, args: &KernelsArgs) -> Result<(), Failure> {
    use d2l::experiments::fashion::book_classifiers;
    use d2l::experiments::kernels::count_kernels;
    use d2l::runtime::KernelLog;
    let configs = args
        .recipes
        .iter()
        .map(|name| {
            book_classifiers()
                .into_iter()
                .find(|(known, _)| known == name)
                .ok_or_else(|| {
                    Failure::Usage(format!("kernels: {name} is not a Fashion-MNIST experiment"))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if cli.backend.unwrap_or(Backend::Wgpu) != Backend::Wgpu {
        return Err(Failure::Usage(
            "kernels counts wgpu's launches: use --backend wgpu".into(),
        ));
    }
    let path = d2l::runtime::RuntimeSettings::from_env()
        .kernel_log
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("d2l-kernels-{}.log", std::process::id()))
        });
    let log = KernelLog::start(&path).map_err(|e| Failure::Run(e.to_string()))?;
    let (_, device, adapter) = open_device(Some(Backend::Wgpu), cli.require_gpu)?;
    let data = d2l::data::FashionMnist::load(&d2l::data::data_dir(args.data_dir.clone()))
        .map_err(|e| Failure::Run(e.to_string()))?;
    let launches = || log.launches(&device).map_err(|e| e.to_string());
    let mut recipes = serde_json::Map::new();
    for (name, config) in configs {
        eprintln!("counting the kernels of {name}");
        let counts = count_kernels(&config, &data, &device, &launches)?;
        recipes.insert(
            name.to_string(),
            serde_json::to_value(counts).expect("counts serialise"),
        );
    }
    let report = serde_json::json!({ "adapter": adapter, "kernels": recipes });
    println!("{report}");
    Ok(())
}

#[cfg(not(feature = "wgpu"))]
fn kernels(_: &Cli, _: &KernelsArgs) -> Result<(), Failure> {
    Err(Failure::Usage(
        "kernels counts wgpu's launches: this build has no wgpu (cargo xtask kernels --backend wgpu)".into(),
    ))
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
