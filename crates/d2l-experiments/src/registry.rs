//! The experiments as the command line sees them: a subcommand each, built from the
//! experiment's options and the defaults of its configuration, and run from clap's matches.

use clap::{ArgMatches, Command, FromArgMatches};
use d2l_learner::{LearnerConfig, RunDir};
use serde::ser::{SerializeMap, Serializer};
use std::marker::PhantomData;
use std::path::Path;

use crate::experiment::{Env, Experiment, load_config, resume, train};
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
    /// the summary as one line of JSON.
    fn train(&self, matches: &ArgMatches, env: &Env) -> Result<String, Error>;
    /// Continues the run in `run_dir` ([`resume`]) with its configuration, for `epochs` in all
    /// if given (a larger number extends a finished run). Returns the summary as one line of
    /// JSON.
    fn resume(&self, epochs: Option<usize>, run_dir: &Path, env: &Env) -> Result<String, Error>;
    /// Evaluates the run in `run_dir` ([`Experiment::evaluate`]): one line of JSON.
    fn evaluate(&self, run_dir: &Path, env: &Env) -> Result<String, Error>;
    /// Predicts with the run in `run_dir` ([`Experiment::predict`]): one line of JSON.
    fn predict(&self, run_dir: &Path, input: &Path, out: &Path, env: &Env)
    -> Result<String, Error>;
    /// Exports the run in `run_dir` as SafeTensors to `out` ([`Experiment::export`]): one
    /// line of JSON.
    fn export(&self, run_dir: &Path, out: &Path, env: &Env) -> Result<String, Error>;
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

    fn train(&self, matches: &ArgMatches, env: &Env) -> Result<String, Error> {
        let args = E::Args::from_arg_matches(matches).map_err(|e| Error::Option(e.to_string()))?;
        let summary = train::<E>(&E::config(&args)?, env)?;
        Ok(serde_json::to_string(&summary).expect("a summary serialises"))
    }

    fn resume(&self, epochs: Option<usize>, run_dir: &Path, env: &Env) -> Result<String, Error> {
        let summary = resume::<E>(run_dir, epochs, env)?;
        Ok(serde_json::to_string(&summary).expect("a summary serialises"))
    }

    fn evaluate(&self, run_dir: &Path, env: &Env) -> Result<String, Error> {
        let config = load_config::<E>(run_dir)?;
        let dir = RunDir::open(run_dir)?;
        let results = E::evaluate(&config, &env.run(&dir))?;
        Ok(json_line(E::NAME, env, run_dir, &results))
    }

    fn predict(
        &self,
        run_dir: &Path,
        input: &Path,
        out: &Path,
        env: &Env,
    ) -> Result<String, Error> {
        let config = load_config::<E>(run_dir)?;
        let dir = RunDir::open(run_dir)?;
        let prediction = E::predict(&config, &env.run(&dir), input, out)?;
        Ok(serde_json::to_string(&prediction).expect("a prediction serialises"))
    }

    fn export(&self, run_dir: &Path, out: &Path, env: &Env) -> Result<String, Error> {
        let config = load_config::<E>(run_dir)?;
        let dir = RunDir::open(run_dir)?;
        let exported = E::export(&config, &env.run(&dir), out)?;
        Ok(serde_json::to_string(&exported).expect("an export serialises"))
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

/// `{"experiment": .., "backend": .., <results>, "run_dir": ..}` in that order.
fn json_line(experiment: &str, env: &Env, run_dir: &Path, results: &[(&str, f64)]) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::new(&mut out);
    let mut map = serializer.serialize_map(None).expect("writes to memory");
    let entries = map
        .serialize_entry("experiment", experiment)
        .and_then(|()| map.serialize_entry("backend", &env.backend))
        .and_then(|()| {
            results
                .iter()
                .try_for_each(|(key, value)| map.serialize_entry(key, value))
        })
        .and_then(|()| map.serialize_entry("run_dir", run_dir));
    entries.expect("writes to memory");
    map.end().expect("writes to memory");
    String::from_utf8(out).expect("JSON is UTF-8")
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
