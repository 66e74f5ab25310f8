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

use d2l_learner::run::files;
use d2l_learner::{Curve, TrainError, interrupt_requested};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use crate::runs::{aligned, held_out_curve, read_json, write_overlay};
use crate::{Entry, Error};

/// One trial of a sweep: a name and the experiment's options that make it.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Its name, in the tables and the plot.
    pub name: String,
    /// Its options, `(option, value)` as on the command line without the leading `--`
    /// (`("lr", "5")`); an empty value is a flag.
    pub options: Vec<(String, String)>,
    /// The line of the sweep file that starts it, for error messages.
    pub line: Option<usize>,
}

impl Trial {
    /// Its options as command-line arguments (`["--lr", "5"]`).
    pub fn args(&self) -> Vec<String> {
        self.options
            .iter()
            .flat_map(|(option, value)| {
                let flag = format!("--{option}");
                match value.is_empty() {
                    true => vec![flag],
                    false => vec![flag, value.clone()],
                }
            })
            .collect()
    }

    /// The name of its run folder: its name with every run of characters other than ASCII
    /// letters, digits, `.` and `-` made one `_`.
    pub fn folder(&self) -> String {
        let mut folder = String::new();
        for c in self.name.chars() {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                folder.push(c);
            } else if !folder.ends_with('_') {
                folder.push('_');
            }
        }
        let folder = folder.trim_matches('_');
        match folder.is_empty() {
            true => "trial".to_string(),
            false => folder.to_string(),
        }
    }

    fn value(&self, option: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(o, _)| o == option)
            .map(|(_, v)| v.as_str())
    }
}

/// The trials of a command-line grid: `--option v1,v2,...` per option (or `--option=v1,v2`,
/// or a lone `--flag`), every combination of their values, the first option varying slowest.
/// Each trial is named by the options that take more than one value (`lr=5 hidden=64`), or
/// `default` when none does.
pub fn grid(tokens: &[String]) -> Result<Vec<Trial>, Error> {
    let mut axes: Vec<(String, Vec<String>)> = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let token = &tokens[i];
        let Some(option) = token.strip_prefix("--") else {
            return Err(Error::Option(format!(
                "sweep grid: expected an option (--name values), found {token:?}"
            )));
        };
        let (option, values) = match option.split_once('=') {
            Some((option, values)) => (option.to_string(), values.to_string()),
            None => match tokens.get(i + 1).filter(|next| !next.starts_with("--")) {
                Some(values) => {
                    i += 1;
                    (option.to_string(), values.clone())
                }
                None => (option.to_string(), String::new()),
            },
        };
        i += 1;
        if axes.iter().any(|(o, _)| *o == option) {
            return Err(Error::Option(format!(
                "sweep grid: --{option} is given twice; list its values once, comma-separated"
            )));
        }
        let values: Vec<String> = match values.is_empty() {
            true => vec![String::new()],
            false => values.split(',').map(|v| v.trim().to_string()).collect(),
        };
        if values.iter().skip(1).any(String::is_empty) || values.len() > 1 && values[0].is_empty() {
            return Err(Error::Option(format!(
                "sweep grid: --{option} has an empty value"
            )));
        }
        axes.push((option, values));
    }
    let mut trials = vec![Vec::<(String, String)>::new()];
    for (option, values) in &axes {
        trials = trials
            .into_iter()
            .flat_map(|options| {
                values.iter().map(move |value| {
                    let mut options = options.clone();
                    options.push((option.clone(), value.clone()));
                    options
                })
            })
            .collect();
    }
    let varied: Vec<&String> = axes
        .iter()
        .filter(|(_, values)| values.len() > 1)
        .map(|(option, _)| option)
        .collect();
    Ok(trials
        .into_iter()
        .map(|options| {
            let name: Vec<String> = options
                .iter()
                .filter(|(option, _)| varied.contains(&option))
                .map(|(option, value)| format!("{option}={value}"))
                .collect();
            Trial {
                name: match name.is_empty() {
                    true => "default".to_string(),
                    false => name.join(" "),
                },
                options,
                line: None,
            }
        })
        .collect())
}

/// A sweep file (TOML): optionally the experiment it is for, options given to every trial,
/// and the trials, each a name and the options that make it (numbers, strings, or `true` for
/// a flag).
///
/// ```toml
/// experiment = "house"
///
/// [options]          # every trial
/// k = 5
///
/// [[trial]]
/// name = "linear, lr 5"
/// lr = 5
///
/// [[trial]]
/// name = "mlp, 5 hidden units"
/// model = "mlp"
/// hidden = 5
/// dropout = 0
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SweepFile {
    /// The experiment it is written for, if it says.
    pub experiment: Option<String>,
    /// Its trials, in order, with the common options first in each.
    pub trials: Vec<Trial>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    experiment: Option<String>,
    #[serde(default)]
    options: toml::Table,
    #[serde(default)]
    trial: Vec<toml::Spanned<toml::Table>>,
}

impl SweepFile {
    /// Reads and checks the sweep file at `path`: a TOML error, a trial without a name, two
    /// trials with the same folder, or a value that is not a number, a string or `true` is an
    /// error naming the file and the line.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Self::parse(path, &text)
    }

    /// [`read`](Self::read) of `text`, the content of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Self, Error> {
        let line_of = |offset: usize| text[..offset.min(text.len())].lines().count().max(1);
        let error = |line: usize, message: String| Error::Config {
            path: path.to_path_buf(),
            message: format!("line {line}: {message}"),
        };
        let raw: RawSweep = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |span| line_of(span.start + 1));
            error(line, e.message().to_string())
        })?;
        let common = options_of(&raw.options).map_err(|m| error(1, format!("[options]: {m}")))?;
        if raw.trial.is_empty() {
            return Err(error(1, "no [[trial]]".to_string()));
        }
        let mut trials: Vec<Trial> = Vec::new();
        for spanned in &raw.trial {
            let line = line_of(spanned.span().start + 1);
            let mut table = spanned.get_ref().clone();
            let name = match table.remove("name") {
                Some(toml::Value::String(name)) if !name.trim().is_empty() => name,
                _ => return Err(error(line, "a trial needs a name = \"...\"".to_string())),
            };
            let own =
                options_of(&table).map_err(|m| error(line, format!("trial {name:?}: {m}")))?;
            let mut options: Vec<(String, String)> = common
                .iter()
                .filter(|(option, _)| !own.iter().any(|(o, _)| o == option))
                .cloned()
                .collect();
            options.extend(own);
            let trial = Trial {
                name,
                options,
                line: Some(line),
            };
            if let Some(other) = trials.iter().find(|t| t.folder() == trial.folder()) {
                return Err(error(
                    line,
                    format!(
                        "trial {:?} would share the folder {} with trial {:?}",
                        trial.name,
                        trial.folder(),
                        other.name
                    ),
                ));
            }
            trials.push(trial);
        }
        Ok(Self {
            experiment: raw.experiment,
            trials,
        })
    }
}

/// A TOML table of options as `(option, value)` pairs, `_` in keys spelt `-` as on the
/// command line.
fn options_of(table: &toml::Table) -> Result<Vec<(String, String)>, String> {
    let mut options = Vec::new();
    for (key, value) in table {
        let value = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(true) => String::new(),
            toml::Value::Boolean(false) => continue,
            other => {
                return Err(format!(
                    "{key} = {other}: an option takes a number, a string or true"
                ));
            }
        };
        options.push((key.replace('_', "-"), value));
    }
    Ok(options)
}

/// How a trial is to be trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// A new run, into the trial's folder (which does not exist yet).
    Train,
    /// An interrupted run in the trial's folder, continued from its checkpoints.
    Resume,
}

/// What became of one trial.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialResult {
    /// The trial.
    pub trial: Trial,
    /// Its run folder.
    pub run_dir: PathBuf,
    /// Its summary's numbers, by key in alphabetical order (the experiment's results and
    /// `seconds`; not `epochs`).
    pub results: Vec<(String, f64)>,
    /// Whether a finished run was found in its folder (not trained again).
    pub skipped: bool,
}

impl TrialResult {
    /// The result called `key`.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.results.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }
}

/// A finished sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepReport {
    /// The sweep folder.
    pub dir: PathBuf,
    /// The key that ranks the trials ([`Entry::headline`]).
    pub headline: String,
    /// The trials, best first (a trial without the headline last).
    pub results: Vec<TrialResult>,
    /// The table of `results.md`, for the terminal.
    pub table: String,
}

impl SweepReport {
    /// The best trial.
    pub fn best(&self) -> Option<&TrialResult> {
        self.results.first()
    }
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

/// Runs the `trials` of `entry`'s experiment into `dir`, at most `jobs` at a time, training
/// each with `train(trial, its folder, how)`, which must leave a finished run (a
/// `summary.json`) in the folder or say why it could not. Every trial's options are checked before any is trained.
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
    train: &(dyn Fn(&Trial, &Path, Launch) -> Result<(), String> + Sync),
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
    let worker = || {
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
                Some(launch) => train(trial, run_dir, *launch),
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
        for _ in 0..jobs.clamp(1, plans.len()) {
            scope.spawn(worker);
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

/// Writes `results.csv`, `results.md` and `curves.svg` of the trials' `results` into `dir`.
fn write_reports(
    entry: &dyn Entry,
    dir: &Path,
    results: Vec<TrialResult>,
) -> Result<SweepReport, Error> {
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(TrainError::io(&path))
    };
    let options: Vec<String> = ordered_union(results.iter().map(|r| {
        r.trial
            .options
            .iter()
            .map(|(o, _)| o.clone())
            .collect::<Vec<_>>()
    }));
    let keys: Vec<String> = ordered_union(results.iter().map(|r| {
        r.results
            .iter()
            .map(|(k, _)| k.clone())
            .filter(|k| k != "seconds")
            .collect::<Vec<_>>()
    }));
    let setting = |r: &TrialResult, option: &str| match r.trial.value(option) {
        None => "-".to_string(),
        Some("") => "yes".to_string(),
        Some(value) => value.to_string(),
    };
    let number = |value: Option<f64>| value.map_or_else(String::new, |v| v.to_string());

    let mut csv = std::iter::once("trial".to_string())
        .chain(options.iter().cloned())
        .chain(keys.iter().cloned())
        .chain(std::iter::once("seconds".to_string()))
        .map(|cell| csv_cell(&cell))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    for r in &results {
        let row: Vec<String> = std::iter::once(r.trial.name.clone())
            .chain(options.iter().map(|o| setting(r, o)))
            .chain(keys.iter().map(|k| number(r.get(k))))
            .chain(std::iter::once(number(r.get("seconds"))))
            .map(|cell| csv_cell(&cell))
            .collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    write("results.csv", &csv)?;

    let headline = entry.headline().to_string();
    let mut ranked = results;
    ranked.sort_by(|a, b| {
        let key = |r: &TrialResult| {
            let value = r.get(&headline).filter(|v| v.is_finite());
            let signed = value.map(|v| if entry.lower_is_better() { v } else { -v });
            (signed.is_none(), signed.unwrap_or(0.0))
        };
        let (a, b) = (key(a), key(b));
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
    });
    // The table shows the options that differ and the results other than per-fold ones.
    let shown_options: Vec<&String> = options
        .iter()
        .filter(|o| {
            ranked
                .iter()
                .any(|r| setting(r, o) != setting(&ranked[0], o))
        })
        .collect();
    let shown_keys: Vec<&String> = keys.iter().filter(|k| !k.starts_with("fold_")).collect();
    let mut rows = vec![
        ["", "trial"]
            .into_iter()
            .map(String::from)
            .chain(shown_options.iter().map(|o| o.to_string()))
            .chain(shown_keys.iter().map(|k| k.to_string()))
            .chain(["seconds".to_string()])
            .collect::<Vec<_>>(),
    ];
    for (i, r) in ranked.iter().enumerate() {
        let has_headline = r.get(&headline).is_some_and(f64::is_finite);
        rows.push(
            [
                if i == 0 && has_headline { "best" } else { "" }.to_string(),
                r.trial.name.clone(),
            ]
            .into_iter()
            .chain(shown_options.iter().map(|o| setting(r, o)))
            .chain(shown_keys.iter().map(|k| {
                r.get(k)
                    .map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
            }))
            .chain([r
                .get("seconds")
                .map_or_else(String::new, |v| format!("{v:.1}"))])
            .collect(),
        );
    }
    let table = aligned(&rows);
    let markdown = markdown_table(&rows);
    write(
        "results.md",
        &format!(
            "# Sweep of {}: {} trials, best first by {headline} ({} is better)\n\n{markdown}",
            entry.name(),
            ranked.len(),
            if entry.lower_is_better() {
                "lower"
            } else {
                "higher"
            },
        ),
    )?;

    let mut names = BTreeSet::new();
    let mut curves: Vec<Curve> = Vec::new();
    for r in &ranked {
        let (name, points) = held_out_curve(&r.run_dir)?;
        names.insert(name);
        curves.push((r.trial.name.clone(), points));
    }
    write_overlay(&curves, names, &dir.join(files::curves("")))?;
    Ok(SweepReport {
        dir: dir.to_path_buf(),
        headline,
        results: ranked,
        table,
    })
}

/// The items of `lists` in order of first appearance, once each.
fn ordered_union(lists: impl Iterator<Item = Vec<String>>) -> Vec<String> {
    let mut union: Vec<String> = Vec::new();
    for item in lists.flatten() {
        if !union.contains(&item) {
            union.push(item);
        }
    }
    union
}

/// A CSV cell, quoted when it holds a comma, a quote or a line break.
fn csv_cell(cell: &str) -> String {
    match cell.contains([',', '"', '\n']) {
        true => format!("\"{}\"", cell.replace('"', "\"\"")),
        false => cell.to_string(),
    }
}

/// `rows` (the first the header) as a Markdown table.
fn markdown_table(rows: &[Vec<String>]) -> String {
    let line = |row: &Vec<String>| format!("| {} |\n", row.join(" | "));
    let mut out = line(&rows[0]);
    out.push_str(&line(&rows[0].iter().map(|_| "---".to_string()).collect()));
    for row in &rows[1..] {
        out.push_str(&line(row));
    }
    out
}

/// The JSON line a sweep ends with: the best trial, the number of trials, the sweep folder.
pub fn final_line(report: &SweepReport) -> String {
    let best = report.best();
    let line = serde_json::json!({
        "best": best.map(|r| r.trial.name.clone()),
        report.headline.clone(): best.and_then(|r| r.get(&report.headline)),
        "trials": report.results.len(),
        "run_dir": report.dir,
    });
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn a_grid_is_every_combination_named_by_what_varies() {
        let trials = grid(&tokens("--lr 5,1 --model mlp --hidden=5,64 --dropout -0.5")).unwrap();
        let names: Vec<&str> = trials.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "lr=5 hidden=5",
                "lr=5 hidden=64",
                "lr=1 hidden=5",
                "lr=1 hidden=64"
            ]
        );
        assert_eq!(
            trials[1].args(),
            tokens("--lr 5 --model mlp --hidden 64 --dropout -0.5")
        );
        assert_eq!(trials[2].folder(), "lr_1_hidden_5");
        let flag = grid(&tokens("--quiet --lr 0.1")).unwrap();
        assert_eq!(flag.len(), 1);
        assert_eq!(flag[0].name, "default");
        assert_eq!(flag[0].args(), tokens("--quiet --lr 0.1"));
        assert_eq!(grid(&[]).unwrap().len(), 1, "no option: one default trial");
    }

    #[test]
    fn a_grid_refuses_stray_values_repeated_options_and_empty_values() {
        for (line, expected) in [
            ("5,1", "expected an option"),
            ("--lr 5 --lr 1", "given twice"),
            ("--lr 5,,1", "empty value"),
        ] {
            let err = grid(&tokens(line)).unwrap_err().to_string();
            assert!(err.contains(expected), "{line}: {err}");
        }
    }

    #[test]
    fn a_sweep_file_gives_named_trials_with_the_common_options() {
        let text = r#"
experiment = "house"

[options]
k = 3
epochs = 10

[[trial]]
name = "linear, lr 5"
lr = 5.0

[[trial]]
name = "mlp"
model = "mlp"
hidden = 5
epochs = 20
batch_size = 64
"#;
        let file = SweepFile::parse(Path::new("s.toml"), text).unwrap();
        assert_eq!(file.experiment.as_deref(), Some("house"));
        assert_eq!(file.trials.len(), 2);
        assert_eq!(file.trials[0].args(), tokens("--epochs 10 --k 3 --lr 5"));
        assert_eq!(file.trials[0].line, Some(8));
        assert_eq!(file.trials[0].folder(), "linear_lr_5");
        assert_eq!(
            file.trials[1].args(),
            tokens("--k 3 --batch-size 64 --epochs 20 --hidden 5 --model mlp")
        );
    }

    #[test]
    fn a_bad_sweep_file_is_an_error_naming_the_file_and_the_line() {
        for (text, line, expected) in [
            ("[[trial]]\nname = \"a\"\nlr = \n", 3, "line 3"),
            (
                "[[trial]]\nname = \"a\"\n\n[[trial]]\nlr = 1\n",
                4,
                "needs a name",
            ),
            (
                "[[trial]]\nname = \"a b\"\n[[trial]]\nname = \"a_b\"\n",
                3,
                "share the folder",
            ),
            (
                "[[trial]]\nname = \"a\"\nlr = [1, 2]\n",
                1,
                "a number, a string",
            ),
            (
                "title = \"x\"\n[[trial]]\nname = \"a\"\n",
                1,
                "unknown field",
            ),
            ("experiment = \"house\"\n", 1, "no [[trial]]"),
        ] {
            let err = SweepFile::parse(Path::new("dir/s.toml"), text)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("dir/s.toml") && err.contains(&format!("line {line}")),
                "{text:?}: {err}"
            );
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn cells_with_commas_are_quoted() {
        assert_eq!(csv_cell("linear, lr 5"), "\"linear, lr 5\"");
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
