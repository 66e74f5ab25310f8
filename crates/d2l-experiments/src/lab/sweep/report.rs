//! A finished sweep's reports: `results.csv`, `results.md` (best first) and `curves.svg`.

use d2l_learner::run::files;
use d2l_learner::{Curve, TrainError};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::trials::Trial;
use crate::runs::{aligned, held_out_curve, write_overlay};
use crate::{Entry, Error};

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

/// The sweep's table of every trial, in the sweep folder.
pub const RESULTS_CSV: &str = "results.csv";
/// The sweep's ranking, best first, in the sweep folder.
pub const RESULTS_MD: &str = "results.md";

/// The files a sweep writes into its folder `dir`: the table, the ranking, the curves.
pub fn report_files(dir: &Path) -> [PathBuf; 3] {
    [
        dir.join(RESULTS_CSV),
        dir.join(RESULTS_MD),
        dir.join(files::curves("")),
    ]
}

/// Writes `results.csv`, `results.md` and `curves.svg` of the trials' `results` into `dir`.
pub(super) fn write_reports(
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
    write(RESULTS_CSV, &csv)?;

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
        RESULTS_MD,
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
pub(super) fn csv_cell(cell: &str) -> String {
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
