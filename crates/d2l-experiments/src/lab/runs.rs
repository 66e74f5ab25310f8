//! The runs of a folder side by side: `d2l runs` (a table of every run) and `d2l compare`
//! (the differing settings, the results and one overlay plot of several runs).

use d2l_learner::run::{files, read_metrics};
use d2l_learner::{Curve, Scale, TrainError, plot_lines};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::{Error, experiment_of, find, load_provenance};

/// What `d2l runs` shows of one run folder.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// The folder.
    pub dir: PathBuf,
    /// The experiment.
    pub experiment: String,
    /// The backend of its last start (first run or resume).
    pub backend: String,
    /// Epochs done: the summary's when complete, else those of the last checkpoint written.
    pub epochs_done: usize,
    /// Epochs planned by its config.
    pub epochs_planned: usize,
    /// The experiment's headline result (`test_acc`, `valid_log_rmse`), when complete.
    pub headline: Option<(String, f64)>,
    /// When it started, UTC (`YYYYMMDD-HHMMSS`).
    pub started: String,
    /// Whether it wrote its summary; otherwise it was interrupted (or is still running).
    pub complete: bool,
}

/// Every run folder (one with a `config.json`) directly under `runs_dir`, oldest first.
pub fn list_runs(runs_dir: &Path) -> Result<Vec<RunInfo>, Error> {
    let entries = std::fs::read_dir(runs_dir).map_err(unreadable(runs_dir))?;
    let mut runs = Vec::new();
    for entry in entries {
        let dir = entry.map_err(unreadable(runs_dir))?.path();
        if dir.join(files::CONFIG).is_file() {
            runs.push(run_info(&dir)?);
        }
    }
    runs.sort_by(|a, b| (&a.started, &a.dir).cmp(&(&b.started, &b.dir)));
    Ok(runs)
}

/// What `d2l runs` shows of `dir`.
pub fn run_info(dir: &Path) -> Result<RunInfo, Error> {
    let experiment = experiment_of(dir)?;
    let entry = find(&experiment);
    let starts = load_provenance(dir)?;
    let summary_path = dir.join(files::SUMMARY);
    let summary = summary_path
        .is_file()
        .then(|| read_json(&summary_path))
        .transpose()?;
    let headline = summary.as_ref().and_then(|summary| {
        let key = entry?.headline();
        Some((key.to_string(), summary[key].as_f64()?))
    });
    let epochs_done = match &summary {
        Some(summary) => summary["epochs"].as_u64().unwrap_or(0) as usize,
        None => last_checkpoint_epoch(dir),
    };
    let epochs_planned = match entry {
        Some(entry) => entry.learner(dir)?.epochs,
        None => 0,
    };
    Ok(RunInfo {
        dir: dir.to_path_buf(),
        backend: starts
            .last()
            .map_or("?", |start| &start.backend)
            .to_string(),
        epochs_done,
        epochs_planned,
        headline,
        started: starts
            .first()
            .map_or("?", |start| &start.started)
            .to_string(),
        complete: summary.is_some(),
        experiment,
    })
}

/// The epoch of the checkpoint written last in `dir` (0 for none).
fn last_checkpoint_epoch(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir.join(files::CHECKPOINTS)) else {
        return 0;
    };
    entries
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let name = path.file_name()?.to_str()?;
            if !name.ends_with(files::LATEST) {
                return None;
            }
            let modified = path.metadata().ok()?.modified().ok()?;
            let epoch = read_json(&path).ok()?["epoch"].as_u64()? as usize;
            Some((modified, epoch))
        })
        .max()
        .map_or(0, |(_, epoch)| epoch)
}

/// The table `d2l runs` prints.
pub fn runs_table(runs: &[RunInfo]) -> String {
    let mut rows = vec![
        [
            "run",
            "experiment",
            "backend",
            "epochs",
            "headline",
            "started (UTC)",
            "status",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for run in runs {
        rows.push(vec![
            run.dir
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().to_string()),
            run.experiment.clone(),
            run.backend.clone(),
            format!("{}/{}", run.epochs_done, run.epochs_planned),
            run.headline.as_ref().map_or_else(
                || "-".to_string(),
                |(key, value)| format!("{key} {value:.4}"),
            ),
            run.started.clone(),
            if run.complete {
                "complete"
            } else {
                "interrupted"
            }
            .to_string(),
        ]);
    }
    aligned(&rows)
}

/// Several runs side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The table of the settings that differ and of every result, a column per run.
    pub table: String,
    /// Each run's label: the settings in which it differs from the others.
    pub labels: Vec<String>,
}

/// Compares the runs in `dirs`: their differing settings and their results as a table, and
/// one overlay plot (written to `plot`) of their held-out metric per epoch ([`held_out_curve`]:
/// the mean over the folds for K-fold runs, the training metric where there is none), one
/// line per run labelled by its differing settings.
pub fn compare(dirs: &[PathBuf], plot: &Path) -> Result<Comparison, Error> {
    if dirs.len() < 2 {
        return Err(Error::Option(
            "compare needs at least two run folders".to_string(),
        ));
    }
    let mut settings = Vec::new();
    let mut results = Vec::new();
    let mut curves = Vec::new();
    let mut names = BTreeSet::new();
    for dir in dirs {
        let mut config = read_json(&dir.join(files::CONFIG))?;
        if let Some(object) = config.as_object_mut() {
            object.remove("provenance");
            object.remove("resumed");
        }
        settings.push(flatten(&config));
        let summary_path = dir.join(files::SUMMARY);
        let mut summary = match summary_path.is_file() {
            true => flatten(&read_json(&summary_path)?),
            false => BTreeMap::new(),
        };
        for key in ["experiment", "run_dir", "backend"] {
            summary.remove(key);
        }
        results.push(summary);
        let (name, curve) = held_out_curve(dir)?;
        names.insert(name);
        curves.push(curve);
    }
    let differing: Vec<String> = settings
        .iter()
        .flat_map(BTreeMap::keys)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|key| {
            settings
                .iter()
                .any(|s| s.get(*key) != settings[0].get(*key))
        })
        .cloned()
        .collect();
    let labels: Vec<String> = dirs
        .iter()
        .zip(&settings)
        .map(|(dir, setting)| {
            let label: Vec<String> = differing
                .iter()
                .map(|key| format!("{key}={}", setting.get(key).map_or("-", String::as_str)))
                .collect();
            match label.is_empty() {
                true => dir
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().to_string()),
                false => label.join(" "),
            }
        })
        .collect();
    let named: Vec<Curve> = labels.iter().cloned().zip(curves).collect();
    write_overlay(&named, names, plot)?;

    let mut rows = vec![
        std::iter::once("".to_string())
            .chain(dirs.iter().map(|d| {
                d.file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().to_string())
            }))
            .collect::<Vec<_>>(),
    ];
    let result_keys: BTreeSet<&String> = results.iter().flat_map(BTreeMap::keys).collect();
    for (key, values) in differing
        .iter()
        .map(|key| (key, &settings))
        .chain(result_keys.into_iter().map(|key| (key, &results)))
    {
        let row = std::iter::once(key.clone())
            .chain(
                values
                    .iter()
                    .map(|v| v.get(key).cloned().unwrap_or_else(|| "-".into())),
            )
            .collect();
        rows.push(row);
    }
    Ok(Comparison {
        table: aligned(&rows),
        labels,
    })
}

/// Writes one plot of the labelled `curves` to `path`, its axis naming their `metrics`: on a
/// linear scale for accuracies, a log scale otherwise.
pub(crate) fn write_overlay(
    curves: &[Curve],
    metrics: BTreeSet<String>,
    path: &Path,
) -> Result<(), Error> {
    let metric = metrics
        .into_iter()
        .filter(|name| !name.is_empty())
        .collect::<Vec<_>>()
        .join(" / ");
    let scale = match metric.contains("acc") {
        true => Scale::Linear,
        false => Scale::Log,
    };
    let svg =
        plot_lines(curves, &format!("epoch ({metric})"), scale).map_err(TrainError::io(path))?;
    std::fs::write(path, svg).map_err(TrainError::io(path))?;
    Ok(())
}

/// The held-out curve of the run in `dir`, with its metric's name: for a run validated by
/// K-fold (`fold-<i>-metrics.csv`), the mean over the folds of their validation metric per
/// epoch; otherwise the curve of its own `metrics.csv` (its held-out column where it has
/// values, else its training metric).
pub fn held_out_curve(dir: &Path) -> Result<(String, Vec<(f64, f64)>), Error> {
    let mut folds = Vec::new();
    for i in 1.. {
        let path = dir.join(files::metrics(&format!("fold-{i}-")));
        if !path.is_file() {
            break;
        }
        folds.push(metric_curve(&path)?);
    }
    let Some((name, first)) = folds.first() else {
        return metric_curve(&dir.join(files::metrics("")));
    };
    let mean = first
        .iter()
        .enumerate()
        .filter_map(|(at, &(epoch, _))| {
            let values: Option<Vec<f64>> = folds
                .iter()
                .map(|(_, curve)| curve.get(at).filter(|p| p.0 == epoch).map(|p| p.1))
                .collect();
            values.map(|v| (epoch, v.iter().sum::<f64>() / v.len() as f64))
        })
        .collect();
    Ok((format!("{name}, mean of {} folds", folds.len()), mean))
}

/// The metric curve of a metrics file: its held-out metric where it has values, else its
/// training metric; with the column's name.
/// A run without a metrics file of its own (one that trains several models) has no curve.
fn metric_curve(path: &Path) -> Result<(String, Vec<(f64, f64)>), Error> {
    if !path.exists() {
        return Ok((String::new(), Vec::new()));
    }
    let metrics = read_metrics(path)?;
    let held_out = metrics.epochs.iter().any(|r| r.test_metric.is_some());
    let points = metrics
        .epochs
        .iter()
        .filter_map(|r| {
            let value = match held_out {
                true => r.test_metric?,
                false => r.train_metric,
            };
            Some((r.epoch as f64, value))
        })
        .collect();
    let split = if held_out { "test" } else { "train" };
    Ok((format!("{split}_{}", metrics.metric), points))
}

/// A JSON value as `dotted.path -> value` leaves (strings without their quotes).
fn flatten(value: &Value) -> BTreeMap<String, String> {
    fn walk(prefix: &str, value: &Value, out: &mut BTreeMap<String, String>) {
        match value {
            Value::Object(map) => {
                for (key, value) in map {
                    let path = match prefix {
                        "" => key.clone(),
                        _ => format!("{prefix}.{key}"),
                    };
                    walk(&path, value, out);
                }
            }
            Value::String(s) => {
                out.insert(prefix.to_string(), s.clone());
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk("", value, &mut out);
    out
}

fn unreadable(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::Config {
        path: path.to_path_buf(),
        message: format!("cannot read it: {e}"),
    }
}

pub(crate) fn read_json(path: &Path) -> Result<Value, Error> {
    let text = std::fs::read_to_string(path).map_err(unreadable(path))?;
    serde_json::from_str(&text).map_err(|e| Error::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Rows as columns aligned with spaces, the first row a header underlined by dashes.
pub(crate) fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |row: &Vec<String>| {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        cells.join("  ").trim_end().to_string()
    };
    let mut out = Vec::new();
    if let Some((header, body)) = rows.split_first() {
        out.push(line(header));
        out.push(
            widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  "),
        );
        out.extend(body.iter().map(line));
    }
    out.join("\n") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_flattens_to_dotted_leaves() {
        let value = serde_json::json!({"a": {"b": 1, "c": "x"}, "d": [1, 2], "e": null});
        let flat = flatten(&value);
        assert_eq!(flat["a.b"], "1");
        assert_eq!(flat["a.c"], "x");
        assert_eq!(flat["d"], "[1,2]");
        assert_eq!(flat["e"], "null");
    }

    #[test]
    fn a_k_fold_runs_held_out_curve_is_the_mean_over_its_folds() {
        let dir = tempfile::tempdir().unwrap();
        let header = "epoch,train_loss,train_log_rmse,test_log_rmse,seconds\n";
        for (i, valid) in [(1, ["0.3", "0.2"]), (2, ["0.5", "0.4"])] {
            let rows = format!("1,9,0.1,{},1\n2,9,0.1,{},1\n", valid[0], valid[1]);
            std::fs::write(
                dir.path().join(format!("fold-{i}-metrics.csv")),
                format!("{header}{rows}"),
            )
            .unwrap();
        }
        std::fs::write(
            dir.path().join("metrics.csv"),
            format!("{header}1,9,0.7,,1\n"),
        )
        .unwrap();
        let (name, curve) = held_out_curve(dir.path()).unwrap();
        assert_eq!(name, "test_log_rmse, mean of 2 folds");
        assert_eq!(curve.len(), 2);
        assert!((curve[0].1 - 0.4).abs() < 1e-12 && (curve[1].1 - 0.3).abs() < 1e-12);
        std::fs::remove_file(dir.path().join("fold-1-metrics.csv")).unwrap();
        // Without fold files: the run's own metrics, whose held-out column is empty.
        let (name, curve) = held_out_curve(dir.path()).unwrap();
        assert_eq!((name.as_str(), curve), ("train_log_rmse", vec![(1.0, 0.7)]));
    }

    #[test]
    fn tables_align_their_columns() {
        let rows = vec![
            vec!["a".to_string(), "bb".to_string()],
            vec!["ccc".to_string(), "d".to_string()],
        ];
        assert_eq!(aligned(&rows), "a    bb\n---  --\nccc  d\n");
    }
}
