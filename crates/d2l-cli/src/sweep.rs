//! `d2l sweep EXPERIMENT [--file F] [--jobs N] [GRID]`: many trials of one experiment, each
//! trained by this program in a process of its own, ranked in one folder.

use clap::Args;
use d2l::experiments::sweep::{
    Launch, SweepFile, Trial, check_trials, final_line, grid, report_files, run_sweep,
};
use d2l::experiments::{EXPERIMENTS, Error, find};
use d2l::learner::RunDir;
use d2l::{Backend, DeviceSpec};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::context::{Failure, Global, device, open, remote_url, stop_on_ctrl_c};

/// Trials a sweep trains at once by default: on the 2-core machines here, four house trials
/// two at a time take 0.62 of the time of one after the other, and three at a time no less
/// than two (docs/sweeps.md).
const DEFAULT_JOBS: u16 = 2;

/// A sweep: its experiment, its trials, where it goes. Its own options come before the grid.
#[derive(Debug, Args)]
pub struct SweepArgs {
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
    /// Trials trained at once, each in a process of its own (the results do not depend on it).
    #[arg(long, default_value_t = DEFAULT_JOBS, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: u16,
    /// Place the trials on these devices, comma-separated (flex, wgpu, wgpu:N, ws://HOST:PORT):
    /// one trial per device at a time, as many at once as there are devices (instead of
    /// --jobs; --backend then only chooses the build).
    #[arg(
        long,
        value_name = "LIST",
        value_delimiter = ',',
        conflicts_with = "jobs"
    )]
    devices: Option<Vec<DeviceSpec>>,
    /// The grid: the experiment's options, each with one value or several separated by commas
    /// (--lr 5,1 --hidden 5,64); every combination is a trial. A `--help` among them checks
    /// every trial and lists them, training none.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "GRID"
    )]
    grid: Vec<String>,
}

/// The options of `sweep` and the global ones, which the grid cannot hold.
const NOT_IN_A_GRID: [&str; 11] = [
    "--file",
    "--dir",
    "--runs-dir",
    "--jobs",
    "--devices",
    "--remote",
    "--token-file",
    "--data-dir",
    "--quiet",
    "--backend",
    "--require-gpu",
];

/// Trains the trials, then prints the ranking and the best trial as one JSON line.
pub fn exec(global: &Global, args: &SweepArgs) -> Result<(), Failure> {
    let entry = find(&args.experiment).ok_or_else(|| {
        let names: Vec<&str> = EXPERIMENTS.iter().map(|e| e.name()).collect();
        Failure::Usage(format!(
            "no experiment is called {}: one of {}",
            args.experiment,
            names.join(", ")
        ))
    })?;
    if let Some(misplaced) = args.grid.iter().find(|token| {
        NOT_IN_A_GRID
            .iter()
            .any(|o| *token == o || token.starts_with(&format!("{o}=")))
    }) {
        return Err(Failure::Usage(format!(
            "{misplaced} belongs to sweep: put it before the grid's options"
        )));
    }
    let (help, tokens): (Vec<String>, Vec<String>) = args
        .grid
        .iter()
        .cloned()
        .partition(|token| token == "--help" || token == "-h");
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
            with_common_options(file.trials, &grid(&tokens)?)?
        }
        None => grid(&tokens)?,
    };
    check_trials(entry, &trials).map_err(|e| match &args.file {
        Some(path) => Failure::Usage(format!("{}: {e}", path.display())),
        None => e.into(),
    })?;
    if !help.is_empty() {
        println!("{} trials of {}, each checked:", trials.len(), entry.name());
        for trial in &trials {
            println!("  {}: {}", trial.name, trial.args().join(" "));
        }
        return Ok(());
    }
    // Each slot's device, as what gives it to a trial's process.
    let slots: Vec<DeviceOptions> = match &args.devices {
        Some(devices) => {
            if global.remote.is_some() {
                return Err(Failure::Usage(
                    "--devices names its servers itself: give it without --remote".into(),
                ));
            }
            // Each device opened once here, so that one that cannot be had fails the sweep
            // before any trial starts.
            for spec in devices {
                open(spec, global)?;
            }
            devices.iter().map(device_options).collect()
        }
        None => {
            let (backend, _, _) = device(global)?;
            let spec = match backend {
                Backend::Remote => DeviceSpec::Served(remote_url(global)?),
                local => DeviceSpec::Local(local),
            };
            vec![device_options(&spec)]
        }
    };
    let data_dir = absolute(&d2l::data::data_dir(global.data_dir.clone()))?;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => RunDir::create(&args.runs_dir, &format!("sweep-{}", entry.name()))
            .map_err(Error::from)?
            .path()
            .to_path_buf(),
    };
    let exe = std::env::current_exe()
        .map_err(|e| Failure::Run(format!("cannot find this program to run trials: {e}")))?;
    let token_file = global.token_file.as_deref().map(absolute).transpose()?;
    let train_trial = |trial: &Trial, run_dir: &Path, launch: Launch, slot: usize| {
        let mut command = Command::new(&exe);
        let (options, environment) = &slots[slot % slots.len()];
        command
            .args(options)
            .envs(environment.iter().map(|(k, v)| (k, v)))
            .args(["--quiet", "--data-dir"])
            .arg(&data_dir);
        if global.require_gpu {
            command.arg("--require-gpu");
        }
        if let Some(file) = &token_file {
            command.arg("--token-file").arg(file);
        }
        command.arg("train");
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
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.trim().lines().last().unwrap_or("no message");
        Err::<(), String>(format!("{message} ({})", output.status))
    };
    stop_on_ctrl_c("the running trials")?;
    let jobs = match &args.devices {
        Some(devices) => devices.len(),
        None => usize::from(args.jobs),
    };
    let report = run_sweep(entry, &trials, &dir, jobs, !global.quiet, &train_trial)?;
    print!("{}", report.table);
    let [csv, ranking, curves] = report_files(&dir);
    eprintln!(
        "results: {}, {}; curves: {}",
        csv.display(),
        ranking.display(),
        curves.display()
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

/// The options and environment variables of a trial's process.
type DeviceOptions = (Vec<String>, Vec<(String, String)>);

/// What puts a trial's process on `spec`'s device (wgpu's N-th discrete GPU is the default
/// device of wgpu's runtime when `CUBECL_WGPU_DEFAULT_DEVICE` names it).
fn device_options(spec: &DeviceSpec) -> DeviceOptions {
    let (options, environment) = match spec {
        DeviceSpec::Local(backend) => (vec!["--backend", backend.name()], None),
        DeviceSpec::Gpu(index) => (
            vec!["--backend", "wgpu"],
            Some(format!("DiscreteGpu({index})")),
        ),
        DeviceSpec::Served(url) => (vec!["--backend", "remote", "--remote", url], None),
    };
    let environment = environment.map(|value| ("CUBECL_WGPU_DEFAULT_DEVICE".to_string(), value));
    (
        options.into_iter().map(String::from).collect(),
        environment.into_iter().collect(),
    )
}

/// `path` made absolute (trials run with it from other folders' points of view).
fn absolute(path: &Path) -> Result<PathBuf, Failure> {
    std::path::absolute(path)
        .map_err(|e| Failure::Run(format!("cannot resolve {}: {e}", path.display())))
}
