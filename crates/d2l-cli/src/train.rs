//! `d2l train [EXPERIMENT] [OPTIONS]`: one subcommand per experiment, each with its own
//! options; with none named, `train` takes the default experiment's options as its own
//! (`d2l train --epochs 3` trains softmax). `--resume RUN_DIR` continues a run with its own
//! configuration, of whichever experiment it is.

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Command};
use d2l::experiments::{DEFAULT, EXPERIMENTS, Entry, find};
use d2l::{Backend, DeviceSpec};
use std::path::PathBuf;

use crate::context::{Failure, Global, entry_of, env, env_on, stop_on_ctrl_c};

/// Where a training run goes, and the run to resume; taken after the experiment's name too.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Where run folders are created.
    #[arg(long, global = true, default_value = "runs")]
    runs_dir: PathBuf,
    /// The run folder's name under --runs-dir [default: <experiment>-<timestamp>]; it must
    /// not exist yet.
    #[arg(long, global = true, value_name = "NAME")]
    run_name: Option<String>,
    /// Continue the run in this folder from its last checkpoint, with its configuration (only
    /// --epochs may change: a larger number extends a finished run).
    #[arg(long, global = true, value_name = "RUN_DIR")]
    resume: Option<PathBuf>,
    /// Train data-parallel on these devices, comma-separated: backends (flex, wgpu), wgpu:N
    /// (the N-th discrete GPU), servers (ws://HOST:PORT). Each batch is split between them and
    /// their gradients added up on the first, which holds the model: the batch size stays the
    /// whole batch's. --backend then only chooses the build.
    #[arg(long, global = true, value_name = "LIST", value_delimiter = ',')]
    devices: Option<Vec<DeviceSpec>>,
}

/// The heading of the default experiment's options in `d2l train --help`.
const DEFAULT_OPTIONS: &str = "Options of the default experiment (softmax), when none is named";

/// `train` with a subcommand per experiment and the default experiment's options as its own.
pub fn with_experiments(train: Command) -> Command {
    let default = default_entry().command();
    let train = default.get_arguments().fold(train, |train, arg| {
        train.arg(arg.clone().help_heading(DEFAULT_OPTIONS))
    });
    EXPERIMENTS
        .iter()
        .fold(train, |train, entry| train.subcommand(entry.command()))
        .after_help(compiled_backends())
}

/// Trains the experiment named (else the default), or resumes `--resume`'s run.
pub fn exec(global: &Global, args: &TrainArgs, matches: &ArgMatches) -> Result<(), Failure> {
    let (named, options) = match matches.subcommand() {
        Some((name, options)) => {
            if let Some(option) = given(matches, &default_entry().command()).first() {
                return Err(Failure::Usage(format!(
                    "{option} comes before the experiment's name: put it after {name}"
                )));
            }
            let entry = find(name).expect("clap accepts only registered experiments");
            (Some(entry), options)
        }
        None => (None, matches),
    };
    let mut env = match &args.devices {
        Some(devices) => env_on(global, devices)?,
        None => env(global)?,
    };
    env.runs_dir.clone_from(&args.runs_dir);
    env.run_name.clone_from(&args.run_name);
    stop_on_ctrl_c("this epoch and its checkpoint")?;
    let served_by = env.remote.clone();
    let summary = match &args.resume {
        Some(run_dir) => {
            let saved = entry_of(run_dir)?;
            if let Some(entry) = named.filter(|entry| entry.name() != saved.name()) {
                return Err(Failure::Usage(format!(
                    "{} is a run of {}, not of {}",
                    run_dir.display(),
                    saved.name(),
                    entry.name()
                )));
            }
            let parsed_as = named.unwrap_or(default_entry()).command();
            let changed: Vec<String> = given(options, &parsed_as)
                .into_iter()
                .filter(|option| option != "--epochs")
                .collect();
            if !changed.is_empty() {
                return Err(Failure::Usage(format!(
                    "a resumed run keeps its configuration: only --epochs may change, not {}",
                    changed.join(", ")
                )));
            }
            let epochs = options.get_one::<usize>("epochs").copied();
            saved.resume(epochs, run_dir, &env)
        }
        None => named.unwrap_or(default_entry()).train(options, &env),
    };
    let summary = summary.map_err(|e| on_server(e.into(), served_by.as_deref()))?;
    println!("{}", crate::context::json(&summary));
    Ok(())
}

/// A run that failed on a served device says which server, and how to finish it.
fn on_server(failure: Failure, url: Option<&str>) -> Failure {
    match (failure, url) {
        (Failure::Run(message), Some(url)) => Failure::Run(format!(
            "{message} (the device was served at {url}: resume with `--backend remote \
             --remote URL` once a server is back)"
        )),
        (failure, _) => failure,
    }
}

/// The default experiment.
fn default_entry() -> &'static dyn Entry {
    find(DEFAULT).expect("the default experiment is registered")
}

/// The options of `command` given on the command line in `matches`, as `--name`.
fn given(matches: &ArgMatches, command: &Command) -> Vec<String> {
    command
        .get_arguments()
        .map(|arg| arg.get_id().as_str())
        .filter(|&id| matches.value_source(id) == Some(ValueSource::CommandLine))
        .map(|id| format!("--{}", id.replace('_', "-")))
        .collect()
}

/// The help's last line: the backends this binary was built with.
fn compiled_backends() -> String {
    let compiled: Vec<&str> = Backend::compiled().iter().map(|b| b.name()).collect();
    format!(
        "Backends compiled into this binary: {}",
        compiled.join(", ")
    )
}
