//! Sweeps: many trials of one experiment, each a run folder of its own, side by side.
//!
//! A sweep's trials come from a grid on the command line (`--lr 5,1 --hidden 5,64`: every
//! combination) or from a sweep file of named trials ([`SweepFile`]). Each trial is trained as
//! `d2l train <experiment> <its options>` would train it, into `<sweep>/<trial folder>/`; the
//! sweep folder then gets `results.csv`, `results.md` (best first) and `curves.svg` (the
//! trials' held-out curves overlaid). A trial whose folder holds a finished run with the same
//! configuration is not trained again, and an interrupted one is resumed, so running a sweep
//! again into its folder finishes what is missing.
//!
//! How one trial is trained is the caller's ([`run_sweep`] takes it as a function): the
//! command line starts one `d2l` process per trial, up to `--jobs` at a time, so that
//! concurrent trials share nothing (not even a device's random generator) and give exactly the
//! figures of a sequential sweep.

mod report;
#[cfg(test)]
mod tests;
mod trials;

use d2l_learner::run::files;
use d2l_learner::{TrainError, interrupt_requested};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub use report::{SweepReport, TrialResult, final_line, report_files};
pub use trials::{SweepFile, Trial, grid};

use crate::runs::read_json;
use crate::{Entry, Error};
use report::write_reports;

/// How a trial is to be trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// A new run, into the trial's folder (which does not exist yet).
    Train,
    /// An interrupted run in the trial's folder, continued from its checkpoints.
    Resume,
}

/// Checks every trial's options as `d2l train` would ([`Entry::check`]): the first refused is
/// an error naming the trial (and its line in the sweep file).
pub fn check_trials(entry: &dyn Entry, trials: &[Trial]) -> Result<(), Error> {
    if trials.is_empty() {
        return Err(Error::Option("the sweep has no trial".to_string()));
    }
    for trial in trials {
        entry.check(&trial.args()).map_err(|e| match trial.line {
            Some(line) => Error::Option(format!("line {line}, trial {:?}: {e}", trial.name)),
            None => Error::Option(format!("trial {:?}: {e}", trial.name)),
        })?;
    }
    Ok(())
}

/// How [`run_sweep`] trains a trial: `(trial, its run folder, how, slot)`, a finished run in
/// the folder or why not.
pub type TrainTrial<'a> = dyn Fn(&Trial, &Path, Launch, usize) -> Result<(), String> + Sync + 'a;

/// Runs the `trials` of `entry`'s experiment into `dir`, at most `jobs` at a time, training
/// each with `train(trial, its folder, how, slot)`, which must leave a finished run (a
/// `summary.json`) in the folder or say why it could not; `slot` (`0..jobs`) says which of the
/// trials running at once it is, so that a caller can give each slot a device of its own.
/// Every trial's options are checked before any is trained.
/// A trial whose folder holds a finished run is skipped when that run's configuration is the
/// trial's (and is an error otherwise); one holding an unfinished run is resumed.
///
/// After the trials, writes `results.csv` (trial, options, every result, seconds, in the
/// trials' order), `results.md` (the main results, best first, the best marked) and
/// `curves.svg` (each trial's held-out metric per epoch: the mean over the folds for K-fold
/// runs). Trials go on when one fails; the first failure is returned after the others have
/// finished, as is an interrupt (Ctrl-C), which starts no new trial.
pub fn run_sweep(
    entry: &dyn Entry,
    trials: &[Trial],
    dir: &Path,
    jobs: usize,
    progress: bool,
    train: &TrainTrial<'_>,
) -> Result<SweepReport, Error> {
    check_trials(entry, trials)?;
    let mut plans = Vec::new();
    for trial in trials {
        let run_dir = dir.join(trial.folder());
        let plan = if run_dir.join(files::SUMMARY).is_file() {
            None
        } else if run_dir.join(files::CONFIG).is_file() {
            Some(Launch::Resume)
        } else {
            Some(Launch::Train)
        };
        if plan != Some(Launch::Train) && !entry.configured_as(&trial.args(), &run_dir)? {
            return Err(Error::Option(format!(
                "{} holds a run configured otherwise than trial {:?}: sweep into another folder",
                run_dir.display(),
                trial.name
            )));
        }
        plans.push((trial, run_dir, plan));
    }
    std::fs::create_dir_all(dir).map_err(TrainError::io(dir))?;

    let next = AtomicUsize::new(0);
    let outcomes: Mutex<Vec<Option<Result<(), String>>>> =
        Mutex::new(plans.iter().map(|_| None).collect());
    let done = AtomicUsize::new(0);
    let worker = |slot: usize| {
        loop {
            if interrupt_requested() {
                return;
            }
            let i = next.fetch_add(1, Ordering::SeqCst);
            let Some((trial, run_dir, plan)) = plans.get(i) else {
                return;
            };
            let start = Instant::now();
            let outcome = match plan {
                Some(launch) => train(trial, run_dir, *launch, slot),
                None => Ok(()),
            };
            let finished = done.fetch_add(1, Ordering::SeqCst) + 1;
            if progress {
                let what = match (&outcome, plan) {
                    (Err(e), _) => format!("failed: {e}"),
                    (Ok(()), None) => "already done".to_string(),
                    (Ok(()), Some(_)) => format!("done in {:.1} s", start.elapsed().as_secs_f64()),
                };
                eprintln!("trial {finished}/{} {:?}: {what}", plans.len(), trial.name);
            }
            outcomes.lock().expect("no worker panics")[i] = Some(outcome);
        }
    };
    std::thread::scope(|scope| {
        for slot in 0..jobs.clamp(1, plans.len()) {
            let worker = &worker;
            scope.spawn(move || worker(slot));
        }
    });
    let outcomes = outcomes.into_inner().expect("no worker panics");
    if interrupt_requested() {
        return Err(Error::SweepInterrupted {
            dir: dir.to_path_buf(),
            unfinished: outcomes
                .iter()
                .filter(|outcome| !matches!(outcome, Some(Ok(()))))
                .count(),
            trials: plans.len(),
        });
    }
    let mut results = Vec::new();
    for ((trial, run_dir, plan), outcome) in plans.iter().zip(outcomes) {
        if let Some(Err(e)) = outcome {
            return Err(Error::Trial {
                name: trial.name.clone(),
                message: e,
            });
        }
        results.push(TrialResult {
            trial: (*trial).clone(),
            run_dir: run_dir.clone(),
            results: summary_numbers(&run_dir.join(files::SUMMARY))?,
            skipped: plan.is_none(),
        });
    }
    write_reports(entry, dir, results)
}

/// The numbers of a `summary.json`, by key in alphabetical order, without `epochs`.
fn summary_numbers(path: &Path) -> Result<Vec<(String, f64)>, Error> {
    let summary = read_json(path)?;
    let object = summary.as_object().ok_or_else(|| Error::Config {
        path: path.to_path_buf(),
        message: "not a JSON object".to_string(),
    })?;
    Ok(object
        .iter()
        .filter(|(key, _)| key.as_str() != "epochs")
        .filter_map(|(key, value)| Some((key.clone(), value.as_f64()?)))
        .collect())
}
