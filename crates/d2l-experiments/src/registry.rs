//! The experiments as the command line sees them: a subcommand each, built from the
//! experiment's options and the defaults of its configuration, and run from clap's matches.

use clap::{ArgMatches, Command, FromArgMatches};
use std::marker::PhantomData;

use crate::experiment::{Env, Experiment, train};
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
