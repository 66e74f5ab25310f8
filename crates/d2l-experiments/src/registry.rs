//! The experiments as the command line sees them: a subcommand each, built from the
//! experiment's options and the defaults of its configuration, and run from clap's matches.

use clap::{ArgMatches, Command, FromArgMatches};
use d2l_learner::{LearnerConfig, RunDir};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use crate::experiment::{Env, Experiment, Prediction, Summary, load_config, resume, train};
use crate::export::Exported;
use crate::{Error, LearnerArgs};

/// An experiment of [`EXPERIMENTS`](crate::EXPERIMENTS), whatever its types.
pub trait Entry: Sync {
    /// Its name ([`Experiment::NAME`]).
    fn name(&self) -> &'static str;
    /// Its section of the book ([`Experiment::SECTION`]).
    fn section(&self) -> &'static str;
    /// Its subcommand: its options, with the defaults of its configuration in their help.
    fn command(&self) -> Command;
    /// Trains it with the options in `matches` (of [`command`](Self::command)) and returns
    /// its summary.
    fn train(&self, matches: &ArgMatches, env: &Env) -> Result<RunSummary, Error>;
    /// Continues the run in `run_dir` ([`resume`]) with its configuration, for `epochs` in all
    /// if given (a larger number extends a finished run). Returns the summary as one line of
    /// JSON.
    fn resume(&self, epochs: Option<usize>, run_dir: &Path, env: &Env)
    -> Result<RunSummary, Error>;
    /// Evaluates the run in `run_dir` ([`Experiment::evaluate`]).
    fn evaluate(&self, run_dir: &Path, env: &Env) -> Result<Evaluation, Error>;
    /// Predicts with the run in `run_dir` ([`Experiment::predict`]).
    fn predict(
        &self,
        run_dir: &Path,
        input: &Path,
        out: &Path,
        env: &Env,
    ) -> Result<Prediction, Error>;
    /// Exports the run in `run_dir` as SafeTensors to `out` ([`Experiment::export`]).
    fn export(&self, run_dir: &Path, out: &Path, env: &Env) -> Result<Exported, Error>;
    /// The training loop's settings of the run in `run_dir` (its `config.json`).
    fn learner(&self, run_dir: &Path) -> Result<LearnerConfig, Error>;
    /// The summary key `d2l runs` shows ([`Experiment::HEADLINE`]).
    fn headline(&self) -> &'static str;
    /// Whether a smaller headline is better ([`Experiment::LOWER_IS_BETTER`]).
    fn lower_is_better(&self) -> bool;
    /// Checks `options` (command-line arguments of [`command`](Self::command), without the
    /// experiment's name) as training would: a usage error for what clap or the experiment's
    /// [`config`](Experiment::config) refuses.
    fn check(&self, options: &[String]) -> Result<(), Error>;
    /// Whether the run in `run_dir` was configured as `options` would configure a new one.
    fn configured_as(&self, options: &[String], run_dir: &Path) -> Result<bool, Error>;
}

/// The [`Entry`] of experiment `E`.
pub struct Registered<E>(PhantomData<fn() -> E>);

impl<E> Registered<E> {
    /// The entry.
    pub const ENTRY: Self = Registered(PhantomData);
}

impl<E: Experiment> Entry for Registered<E> {
    fn name(&self) -> &'static str {
        E::NAME
    }

    fn section(&self) -> &'static str {
        E::SECTION
    }

    fn command(&self) -> Command {
        // The section after the options: their struct's doc comment would replace it.
        let command = <E::Args as clap::Args>::augment_args(Command::new(E::NAME))
            .about(E::SECTION)
            .long_about(None);
        shown_defaults::<E>()
            .into_iter()
            .fold(command, |command, (id, default)| {
                command.mut_arg(id, |arg| {
                    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
                    arg.help(format!("{help} [default: {default}]"))
                })
            })
    }

    fn train(&self, matches: &ArgMatches, env: &Env) -> Result<RunSummary, Error> {
        let args = E::Args::from_arg_matches(matches).map_err(|e| Error::Option(e.to_string()))?;
        Ok(erased(train::<E>(&E::config(&args)?, env)?))
    }

    fn resume(
        &self,
        epochs: Option<usize>,
        run_dir: &Path,
        env: &Env,
    ) -> Result<RunSummary, Error> {
        Ok(erased(resume::<E>(run_dir, epochs, env)?))
    }

    fn evaluate(&self, run_dir: &Path, env: &Env) -> Result<Evaluation, Error> {
        let config = load_config::<E>(run_dir)?;
        let dir = RunDir::open(run_dir)?;
        Ok(Evaluation {
            experiment: E::NAME,
            backend: env.backend.clone(),
            results: E::evaluate(&config, &env.run(&dir))?,
            run_dir: run_dir.to_path_buf(),
        })
    }

    fn predict(
        &self,
        run_dir: &Path,
        input: &Path,
        out: &Path,
        env: &Env,
    ) -> Result<Prediction, Error> {
        let config = load_config::<E>(run_dir)?;
        let dir = RunDir::open(run_dir)?;
        E::predict(&config, &env.run(&dir), input, out)
    }

    fn export(&self, run_dir: &Path, out: &Path, env: &Env) -> Result<Exported, Error> {
        let config = load_config::<E>(run_dir)?;
        let dir = RunDir::open(run_dir)?;
        E::export(&config, &env.run(&dir), out)
    }

    fn learner(&self, run_dir: &Path) -> Result<LearnerConfig, Error> {
        Ok(E::learner(&load_config::<E>(run_dir)?).clone())
    }

    fn headline(&self) -> &'static str {
        E::HEADLINE
    }

    fn lower_is_better(&self) -> bool {
        E::LOWER_IS_BETTER
    }

    fn check(&self, options: &[String]) -> Result<(), Error> {
        config_of::<E>(self.command(), options).map(drop)
    }

    fn configured_as(&self, options: &[String], run_dir: &Path) -> Result<bool, Error> {
        let config = config_of::<E>(self.command(), options)?;
        Ok(load_config::<E>(run_dir)? == config)
    }
}

/// The configuration `options` give experiment `E`, parsed by its `command`.
fn config_of<E: Experiment>(command: Command, options: &[String]) -> Result<E::Config, Error> {
    let matches = command
        .no_binary_name(true)
        .try_get_matches_from(options)
        .map_err(|e| Error::Option(e.render().to_string().trim_end().to_string()))?;
    let args = E::Args::from_arg_matches(&matches).map_err(|e| Error::Option(e.to_string()))?;
    E::config(&args)
}

/// A run's summary, whatever its experiment: its results keep their type (erased behind
/// `dyn Entry`) until the command line prints them, in the order the experiment gives them.
pub type RunSummary = Summary<Box<dyn erased_serde::Serialize + Send>>;

/// `summary` with its results erased.
fn erased<R: Serialize + Send + 'static>(summary: Summary<R>) -> RunSummary {
    Summary {
        experiment: summary.experiment,
        backend: summary.backend,
        adapter: summary.adapter,
        epochs: summary.epochs,
        results: Box::new(summary.results),
        seconds: summary.seconds,
        run_dir: summary.run_dir,
    }
}

/// What `evaluate` measured of a run's saved model. In JSON,
/// `{"experiment": .., "backend": .., <results>, "run_dir": ..}` in that order.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// The experiment.
    pub experiment: &'static str,
    /// The backend it was evaluated on.
    pub backend: String,
    /// The named results ([`Experiment::evaluate`]).
    pub results: Vec<(&'static str, f64)>,
    /// The run folder.
    pub run_dir: PathBuf,
}

impl Serialize for Evaluation {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.results.len() + 3))?;
        map.serialize_entry("experiment", self.experiment)?;
        map.serialize_entry("backend", &self.backend)?;
        for (key, value) in &self.results {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry("run_dir", &self.run_dir)?;
        map.end()
    }
}

/// Each option's default in the book's configuration, followed by its value in each variant
/// where that differs (`5; --recipe better: 0.003`).
fn shown_defaults<E: Experiment>() -> Vec<(&'static str, String)> {
    let shown = |config: &E::Config| {
        let mut shown = LearnerArgs::shown_defaults(E::learner(config));
        shown.extend(E::shown_defaults(config));
        shown
    };
    let book = shown(&E::book_config());
    let mut defaults = book.clone();
    for (label, args) in E::variants() {
        let variant = shown(&E::config(&args).expect("the variants' configurations are valid"));
        for (((id, text), (_, default)), (_, value)) in defaults.iter_mut().zip(&book).zip(variant)
        {
            // The option that selects the variant needs no note.
            let selector = label.contains(&format!("--{}", id.replace('_', "-")));
            if *default != value && !selector {
                text.push_str(&format!("; {label}: {value}"));
            }
        }
    }
    defaults
}
