//! What an experiment is, and the run that trains one into a run folder.

use burn::config::Config;
use burn::tensor::Device;
use d2l_device::Adapter;
use d2l_learner::run::files;
use d2l_learner::{LearnerConfig, RunDir, TrainError};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::Error;
use crate::export::Exported;

mod provenance;
pub use provenance::Provenance;

/// One experiment of the book: its name, its configuration with the book's defaults, the
/// command-line options that change it, and its run.
///
/// Adding an experiment is a module that implements this trait plus one line in
/// [`EXPERIMENTS`](crate::EXPERIMENTS); the command line, `config.json`, `summary.json` and
/// the help's defaults follow from it.
pub trait Experiment: 'static {
    /// The name on the command line and in run folders (`softmax-scratch`).
    const NAME: &'static str;
    /// The section of d2l.ai it reproduces (`d2l 3.6 softmax regression from scratch`).
    const SECTION: &'static str;
    /// Its command-line options (the shared [`LearnerArgs`](crate::LearnerArgs) flattened
    /// in); `Default` is "no option given".
    type Args: clap::Args + Default;
    /// Its run configuration, saved as `config.json` and loaded back.
    type Config: Config + PartialEq;
    /// What a run reports: `summary.json` and the JSON line, beside the run's name, backend,
    /// epochs, seconds and folder.
    type Results: Serialize + Send + 'static;

    /// The book's configuration changed by `args`; an error for an option out of range or
    /// one that needs another.
    fn config(args: &Self::Args) -> Result<Self::Config, Error>;

    /// The book's configuration: [`config`](Self::config) with no option given.
    fn book_config() -> Self::Config {
        Self::config(&Self::Args::default()).expect("the book's configuration is valid")
    }

    /// The training loop's settings in `config` (what `--epochs`, `--lr`, `--batch-size` and
    /// `--seed` change; its seed seeds the device before [`run`](Self::run)).
    fn learner(config: &Self::Config) -> &LearnerConfig;

    /// The same, to change (`--epochs` of a resumed run).
    fn learner_mut(config: &mut Self::Config) -> &mut LearnerConfig;

    /// The key of the summary that says most about a run (`test_acc`), for `d2l runs` and
    /// the best trial of a sweep.
    const HEADLINE: &'static str;

    /// Whether a smaller headline is better (an error rather than an accuracy).
    const LOWER_IS_BETTER: bool = false;

    /// The defaults the help shows for this experiment's own options, by option id, read from
    /// `config` (the loop's four are shown for every experiment).
    fn shown_defaults(_config: &Self::Config) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Other configurations whose defaults the help shows beside the book's: the options
    /// that select one (`--recipe better`) and its arguments.
    fn variants() -> Vec<(&'static str, Self::Args)> {
        Vec::new()
    }

    /// Trains and evaluates, writing what the experiment produces into `run.dir`. Run again in
    /// a folder that holds checkpoints, it continues from them (see
    /// [`Learner::fit_into`](d2l_learner::Learner::fit_into)).
    fn run(config: &Self::Config, run: &Run<'_>) -> Result<Self::Results, Error>;

    /// Evaluates the model a finished run saved in `run.dir` on the data it was measured on,
    /// as named results (`test_acc`) equal to the run's own on the same backend.
    fn evaluate(_config: &Self::Config, _run: &Run<'_>) -> Result<Vec<(&'static str, f64)>, Error> {
        Err(Error::Option(format!(
            "{} has no saved model to evaluate",
            Self::NAME
        )))
    }

    /// Writes the model a finished run saved in `run.dir` to `out` as SafeTensors, under the
    /// names of d2l's PyTorch network ([`export`](crate::export)).
    fn export(_config: &Self::Config, _run: &Run<'_>, _out: &Path) -> Result<Exported, Error> {
        Err(Error::Option(format!(
            "{} has no saved model to export",
            Self::NAME
        )))
    }

    /// Applies the model a finished run saved in `run.dir` to the user's data in `input`,
    /// writing the predictions to `out`.
    fn predict(
        _config: &Self::Config,
        _run: &Run<'_>,
        _input: &Path,
        _out: &Path,
    ) -> Result<Prediction, Error> {
        Err(Error::Option(format!(
            "{} has no saved model to predict with",
            Self::NAME
        )))
    }
}

/// What a prediction wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The predictions, a CSV file.
    pub out: PathBuf,
    /// How many examples were predicted.
    pub rows: usize,
    /// The picture of the predictions, when there is one.
    pub grid: Option<PathBuf>,
}

/// Where and how a run happens, whatever the experiment.
#[derive(Debug, Clone)]
pub struct Env {
    /// The backend's name, for the summary and the provenance (`flex`).
    pub backend: String,
    /// The device everything runs on.
    pub device: Device,
    /// Where the datasets are.
    pub data_dir: PathBuf,
    /// Where run folders are created.
    pub runs_dir: PathBuf,
    /// The name of the run folder under `runs_dir`; `None` for `<experiment>-<timestamp>`.
    pub run_name: Option<String>,
    /// Show progress bars and per-stage lines on stderr.
    pub progress: bool,
    /// The command line that asked for the run, recorded in `config.json`.
    pub command_line: Vec<String>,
    /// The adapter of a GPU backend's device, recorded in `config.json` and the summary.
    pub adapter: Option<Adapter>,
    /// The server of a remote backend's device (`ws://HOST:PORT`), recorded in `config.json`.
    pub remote: Option<String>,
    /// More devices (without autodiff, named as `--devices` lists them) that split each batch
    /// with `device` ([`Learner::data_parallel`](d2l_learner::Learner::data_parallel)).
    pub data_parallel: Vec<(String, Device)>,
}

impl Env {
    /// Runs on `device` of `backend`, with the datasets of [`d2l_data::data_dir`], run folders
    /// under `runs/`, progress shown, and this process's command line.
    pub fn new(backend: impl Into<String>, device: Device) -> Self {
        Self {
            backend: backend.into(),
            device,
            data_dir: d2l_data::data_dir(None),
            runs_dir: PathBuf::from("runs"),
            run_name: None,
            progress: true,
            command_line: std::env::args().collect(),
            adapter: None,
            remote: None,
            data_parallel: Vec::new(),
        }
    }
}

impl Env {
    /// What an experiment works with in the run folder `dir` of this environment.
    pub(crate) fn run<'a>(&'a self, dir: &'a RunDir) -> Run<'a> {
        Run {
            device: &self.device,
            dir,
            data_dir: &self.data_dir,
            progress: self.progress,
            wait_each_step: self.adapter.as_ref().is_some_and(Adapter::is_software),
            data_parallel: self.data_parallel.iter().map(|(_, d)| d.clone()).collect(),
        }
    }
}

/// What an experiment's [`run`](Experiment::run) works with.
#[derive(Debug)]
pub struct Run<'a> {
    /// The device (seeded with the loop's seed).
    pub device: &'a Device,
    /// The run folder to fill.
    pub dir: &'a RunDir,
    /// Where the datasets are.
    pub data_dir: &'a Path,
    /// Show progress on stderr.
    pub progress: bool,
    /// Wait for the device after each training step
    /// ([`Learner::wait_each_step`](d2l_learner::Learner::wait_each_step)): set for a software
    /// adapter, which computes on the host's own cores. The trainings on the experiments'
    /// datasets follow it (Fashion-MNIST, weight decay, house prices); the symmetry
    /// demonstration of `numerical-stability` (64 examples) does not wait.
    pub wait_each_step: bool,
    /// The other devices of data-parallel training ([`Env::data_parallel`]); empty for one.
    pub data_parallel: Vec<Device>,
}

/// `config.json`: the experiment's name, its configuration, where the run came from, and
/// where each resume of it came from.
#[derive(Serialize)]
struct ConfigFile<'a, C> {
    experiment: &'static str,
    #[serde(flatten)]
    config: &'a C,
    provenance: Provenance,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    resumed: Vec<Provenance>,
}

/// The provenance blocks of a saved `config.json`.
#[derive(Deserialize)]
struct SavedProvenance {
    provenance: Provenance,
    #[serde(default)]
    resumed: Vec<Provenance>,
}

/// The outcome of a run: `summary.json`, and the JSON line the command line prints.
#[derive(Debug, Clone, Serialize)]
pub struct Summary<R> {
    /// The experiment's name.
    pub experiment: &'static str,
    /// The backend it ran on.
    pub backend: String,
    /// The adapter it ran on, for a GPU backend.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<Adapter>,
    /// Epochs of its training (per training run, where it trains several).
    pub epochs: usize,
    /// The experiment's results, flattened into the JSON object.
    #[serde(flatten)]
    pub results: R,
    /// Seconds from the start of the run (data loading included) to the saved results.
    pub seconds: f64,
    /// The run folder.
    pub run_dir: PathBuf,
}

/// Trains experiment `E` with `config` in `env` (an error before anything is written when its
/// loop has no epoch or an empty batch): creates `runs/<name>-<timestamp>/` (or the folder
/// [`Env::run_name`] names), writes
/// `config.json` (the config, loadable with [`load_config`], and its [`Provenance`]), seeds
/// the device with the loop's seed, runs the experiment, and writes `summary.json`.
pub fn train<E: Experiment>(config: &E::Config, env: &Env) -> Result<Summary<E::Results>, Error> {
    let start = Instant::now();
    let learner = E::learner(config);
    if learner.epochs == 0 || learner.batch_size == 0 {
        return Err(Error::Option(format!(
            "{} needs at least one epoch of batches of at least one example \
             (epochs {}, batch size {})",
            E::NAME,
            learner.epochs,
            learner.batch_size
        )));
    }
    let dir = match &env.run_name {
        Some(name) => RunDir::create_named(&env.runs_dir, name)?,
        None => RunDir::create(&env.runs_dir, E::NAME)?,
    };
    save_config::<E>(&dir, config, env)?;
    finish::<E>(config, env, &dir, start)
}

/// Seeds the device, runs the experiment in `dir` and writes `summary.json`.
fn finish<E: Experiment>(
    config: &E::Config,
    env: &Env,
    dir: &RunDir,
    start: Instant,
) -> Result<Summary<E::Results>, Error> {
    let learner = E::learner(config);
    d2l_learner::seed_run(&env.device, learner.seed);
    let results = E::run(config, &env.run(dir)).map_err(|error| match error {
        Error::Train(TrainError::Interrupted { epoch, epochs }) => Error::Interrupted {
            run_dir: dir.path().to_path_buf(),
            epoch,
            epochs,
        },
        Error::Train(TrainError::DeviceInEpoch { epoch, message }) => Error::DeviceFailed {
            run_dir: dir.path().to_path_buf(),
            epoch,
            message,
        },
        other => other,
    })?;
    let summary = Summary {
        experiment: E::NAME,
        backend: env.backend.clone(),
        adapter: env.adapter.clone(),
        epochs: learner.epochs,
        results,
        seconds: start.elapsed().as_secs_f64(),
        run_dir: dir.path().to_path_buf(),
    };
    let json = serde_json::to_string(&summary).expect("a summary serialises");
    dir.write_file(files::SUMMARY, format!("{json}\n").as_bytes())?;
    Ok(summary)
}

/// Writes `config.json` into `dir`: the experiment's name, `config`, and its provenance.
pub(crate) fn save_config<E: Experiment>(
    dir: &RunDir,
    config: &E::Config,
    env: &Env,
) -> Result<PathBuf, Error> {
    Ok(dir.save_config(&ConfigFile {
        experiment: E::NAME,
        config,
        provenance: Provenance::new(env),
        resumed: Vec::new(),
    })?)
}

/// Continues the run of experiment `E` in `run_dir` from its checkpoints, in `env`: its
/// `config.json` gives the configuration (with `epochs` epochs, where given, so that a larger
/// number extends a finished run) and records this resume's provenance; the experiment runs
/// again in the folder, where every training run continues after its last checkpoint (one
/// already finished is not trained again), and `summary.json` is written anew.
pub fn resume<E: Experiment>(
    run_dir: &Path,
    epochs: Option<usize>,
    env: &Env,
) -> Result<Summary<E::Results>, Error> {
    let start = Instant::now();
    let mut config = load_config::<E>(run_dir)?;
    if let Some(epochs) = epochs {
        E::learner_mut(&mut config).epochs = epochs;
    }
    let dir = RunDir::open(run_dir)?;
    let saved = read_provenance(run_dir)?;
    let mut resumed = saved.resumed;
    resumed.push(Provenance::new(env));
    dir.save_config(&ConfigFile {
        experiment: E::NAME,
        config: &config,
        provenance: saved.provenance,
        resumed,
    })?;
    finish::<E>(&config, env, &dir, start)
}

/// The configuration of experiment `E` saved in `run_dir/config.json`.
pub fn load_config<E: Experiment>(run_dir: &Path) -> Result<E::Config, Error> {
    let (path, text) = read_config_json(run_dir)?;
    let experiment = experiment_in(&path, &text)?;
    if experiment != E::NAME {
        return Err(config_error(&path)(format!(
            "it is the config of {experiment}, not of {}",
            E::NAME
        )));
    }
    E::Config::load_binary(text.as_bytes()).map_err(|e| config_error(&path)(e.to_string()))
}

/// The provenance saved in `run_dir/config.json`: the run's, then its resumes'.
pub fn load_provenance(run_dir: &Path) -> Result<Vec<Provenance>, Error> {
    let saved = read_provenance(run_dir)?;
    Ok(std::iter::once(saved.provenance)
        .chain(saved.resumed)
        .collect())
}

fn read_provenance(run_dir: &Path) -> Result<SavedProvenance, Error> {
    let (path, text) = read_config_json(run_dir)?;
    serde_json::from_str(&text).map_err(|e| config_error(&path)(e.to_string()))
}

/// The name of the experiment whose run `run_dir` is (from its `config.json`).
pub fn experiment_of(run_dir: &Path) -> Result<String, Error> {
    let (path, text) = read_config_json(run_dir)?;
    experiment_in(&path, &text)
}

/// `run_dir/config.json`: its path and its text.
fn read_config_json(run_dir: &Path) -> Result<(PathBuf, String), Error> {
    let path = run_dir.join(files::CONFIG);
    let text = std::fs::read_to_string(&path).map_err(|e| config_error(&path)(e.to_string()))?;
    Ok((path, text))
}

/// The experiment named by `text`, the content of the `config.json` at `path`.
fn experiment_in(path: &Path, text: &str) -> Result<String, Error> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| config_error(path)(e.to_string()))?;
    value
        .get("experiment")
        .and_then(|name| name.as_str())
        .map(String::from)
        .ok_or_else(|| config_error(path)("it names no experiment".to_string()))
}

/// An [`Error::Config`] about the file at `path`.
fn config_error(path: &Path) -> impl Fn(String) -> Error + '_ {
    move |message| Error::Config {
        path: path.to_path_buf(),
        message,
    }
}

#[cfg(test)]
mod tests;
