//! The run folder: `runs/<experiment>-<timestamp>/` with `config.json`, per-epoch metrics and
//! curves, the weights, and a one-line JSON summary.
//!
//! Every file is written as soon as what it holds is known (the metrics as the epochs go by,
//! at least every [`SAVE_EVERY`](crate::learner::SAVE_EVERY)), so a run that stops early —
//! diverged, interrupted — keeps what it had.

use burn::module::Module;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::plot::{Scale, plot_curves};
use crate::record::{EpochRecord, Observer, TrainError};

/// The names of a run folder's files, defined once: whatever writes or reads one names it
/// from here.
pub mod files {
    /// The run's configuration and provenance.
    pub const CONFIG: &str = "config.json";
    /// The run's results, written when it has finished.
    pub const SUMMARY: &str = "summary.json";
    /// The folder of checkpoints ([`crate::checkpoint`]).
    pub const CHECKPOINTS: &str = "checkpoints";
    /// What ends the name of a checkpoint pointer, `<prefix>latest.json`, in [`CHECKPOINTS`].
    pub const LATEST: &str = "latest.json";
    /// A house run's fitted preprocessing.
    pub const PREPROCESSOR: &str = "preprocessor.json";
    /// A house run's Kaggle submission.
    pub const SUBMISSION: &str = "submission.csv";
    /// A Fashion-MNIST run's picture of its first test predictions.
    pub const PREDICTIONS: &str = "predictions.svg";
    /// A run's model exported for PyTorch (`d2l export`).
    pub const EXPORT: &str = "model.safetensors";

    /// The epochs of the training run `prefix` names (empty for the run's own):
    /// `<prefix>metrics.csv`.
    pub fn metrics(prefix: &str) -> String {
        format!("{prefix}metrics.csv")
    }

    /// Its curves: `<prefix>curves.svg`.
    pub fn curves(prefix: &str) -> String {
        format!("{prefix}curves.svg")
    }

    /// Its trained weights (Burn's burnpack): `<prefix>model.bpk`.
    pub fn weights(prefix: &str) -> String {
        format!("{prefix}model.bpk")
    }
}

/// The header of a metrics file for a metric named `metric`:
/// `epoch,train_loss,train_<metric>,test_<metric>,seconds`.
pub fn metrics_header(metric: &str) -> String {
    format!("epoch,train_loss,train_{metric},test_{metric},seconds")
}

/// A run folder being filled.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
}

impl RunDir {
    /// Creates `root/<experiment>-<UTC timestamp>` (with a numeric suffix if that exists).
    pub fn create(root: &Path, experiment: &str) -> Result<Self, TrainError> {
        std::fs::create_dir_all(root).map_err(TrainError::io(root))?;
        let stamp = utc_timestamp(SystemTime::now());
        let mut n = 1;
        loop {
            let path = match n {
                1 => root.join(format!("{experiment}-{stamp}")),
                _ => root.join(format!("{experiment}-{stamp}-{n}")),
            };
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
                Err(e) => return Err(TrainError::io(path)(e)),
            }
        }
    }

    /// Creates `root/name`, which must not exist yet (a run folder named by its user, or a
    /// sweep's trial).
    pub fn create_named(root: &Path, name: &str) -> Result<Self, TrainError> {
        std::fs::create_dir_all(root).map_err(TrainError::io(root))?;
        let path = root.join(name);
        match std::fs::create_dir(&path) {
            Ok(()) => Ok(Self { path }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(TrainError::io(&path)(std::io::Error::new(
                    e.kind(),
                    "the folder exists already: resume it with --resume, or name another",
                )))
            }
            Err(e) => Err(TrainError::io(path)(e)),
        }
    }

    /// An existing run folder, to resume or read.
    pub fn open(path: &Path) -> Result<Self, TrainError> {
        if path.is_dir() {
            Ok(Self {
                path: path.to_path_buf(),
            })
        } else {
            Err(TrainError::io(path)(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such run folder",
            )))
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `config.json`, pretty-printed JSON of `config`.
    pub fn save_config<C: Serialize>(&self, config: &C) -> Result<PathBuf, TrainError> {
        let json = serde_json::to_string_pretty(config).expect("a config serialises");
        self.write_file(files::CONFIG, (json + "\n").as_bytes())
    }

    /// Saves the trained weights of the training run `prefix` names (empty for the run's own)
    /// as [`files::weights`] and returns its path.
    pub fn save_weights<M: Module>(&self, model: M, prefix: &str) -> Result<PathBuf, TrainError> {
        let path = self.weights_path(prefix);
        model
            .save_file(&path)
            .map_err(|e| TrainError::io(&path)(std::io::Error::other(e.to_string())))?;
        Ok(path)
    }

    /// Where the trained weights of the training run `prefix` names are ([`files::weights`]).
    pub fn weights_path(&self, prefix: &str) -> PathBuf {
        self.path.join(files::weights(prefix))
    }

    /// Writes a file of the run (a config, a plot, a submission) and returns its path. The
    /// contents go to a temporary file first, renamed over `name` once complete, so the file
    /// is never seen half written.
    pub fn write_file(&self, name: &str, contents: &[u8]) -> Result<PathBuf, TrainError> {
        let path = self.path.join(name);
        write_atomically(&path, contents)?;
        Ok(path)
    }

    /// A log of one training run in this folder, an [`Observer`]: `<prefix>metrics.csv` and
    /// `<prefix>curves.svg` (`metrics.csv` and `curves.svg` for the empty prefix; `fold-1-`
    /// for a fold of a K-fold run), holding the epochs `done` so far (none for a new training
    /// run, those of its checkpoint for a resumed one). Both files are rewritten whole after
    /// every epoch, through a temporary file, so neither is ever seen half written.
    pub fn epoch_log(
        &self,
        prefix: &str,
        metric: &str,
        scale: Scale,
        done: &[EpochRecord],
    ) -> Result<EpochLog, TrainError> {
        let log = EpochLog {
            metrics: self.path.join(files::metrics(prefix)),
            curves: self.path.join(files::curves(prefix)),
            history: done.to_vec(),
            metric: metric.to_string(),
            scale,
        };
        log.write()?;
        Ok(log)
    }
}

/// The metrics file and curves of one training run, rewritten as its epochs go by (the
/// Learner: every [`SAVE_EVERY`](crate::learner::SAVE_EVERY), as an [`Observer`]: every epoch).
#[derive(Debug)]
pub struct EpochLog {
    metrics: PathBuf,
    curves: PathBuf,
    history: Vec<EpochRecord>,
    metric: String,
    scale: Scale,
}

impl EpochLog {
    /// The epochs recorded so far.
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// Writes the metrics file and the curves of `history`, the epochs of the run so far.
    pub(crate) fn write_history(&mut self, history: &[EpochRecord]) -> Result<(), TrainError> {
        self.history = history.to_vec();
        self.write()
    }

    /// Writes the metrics file, and the curves once there is an epoch to draw.
    fn write(&self) -> Result<(), TrainError> {
        let mut csv = metrics_header(&self.metric);
        csv.push('\n');
        for record in &self.history {
            let test = record
                .test_metric
                .map_or_else(String::new, |v| format!("{v:.6}"));
            csv.push_str(&format!(
                "{},{:.6},{:.6},{},{:.3}\n",
                record.epoch, record.train_loss, record.train_metric, test, record.seconds
            ));
        }
        write_atomically(&self.metrics, csv.as_bytes())?;
        if self.history.is_empty() {
            return Ok(());
        }
        let svg = plot_curves(&self.history, &self.metric, self.scale)
            .map_err(TrainError::io(&self.curves))?;
        write_atomically(&self.curves, svg.as_bytes())
    }
}

impl Observer for EpochLog {
    fn on_epoch(&mut self, record: &EpochRecord) -> Result<(), TrainError> {
        self.history.push(record.clone());
        self.write()
    }
}

/// A metrics file read back: the metric's name and the epochs, as [`EpochLog`] wrote them
/// (values to the file's six decimals, seconds to three).
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    /// The metric's name (`acc`, `log_rmse`).
    pub metric: String,
    /// The epochs, in order.
    pub epochs: Vec<EpochRecord>,
}

/// Reads the metrics file at `path` ([`files::metrics`]); an error names the file and the line
/// that does not read.
pub fn read_metrics(path: &Path) -> Result<Metrics, TrainError> {
    let text = std::fs::read_to_string(path).map_err(TrainError::io(path))?;
    let bad = |line: usize, what: &str| {
        TrainError::io(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("line {line}: {what}"),
        ))
    };
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    let metric = header
        .split(',')
        .nth(2)
        .and_then(|column| column.strip_prefix("train_"))
        .filter(|metric| metrics_header(metric) == header)
        .ok_or_else(|| bad(1, "not a metrics header"))?;
    let mut epochs = Vec::new();
    for (at, line) in lines.enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        let number = |i: usize| cells.get(i).and_then(|cell| cell.parse::<f64>().ok());
        let record = match (cells.len(), number(0), number(1), number(2), number(4)) {
            (5, Some(epoch), Some(train_loss), Some(train_metric), Some(seconds)) => EpochRecord {
                epoch: epoch as usize,
                train_loss,
                train_metric,
                test_metric: number(3),
                seconds,
            },
            _ => return Err(bad(at + 2, "not an epoch's numbers")),
        };
        epochs.push(record);
    }
    Ok(Metrics {
        metric: metric.to_string(),
        epochs,
    })
}

/// Writes `contents` to `path` through a temporary file in the same folder and a rename.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), TrainError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, contents)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(TrainError::io(path))
}

/// `YYYYMMDD-HHMMSS` in UTC.
pub fn utc_timestamp(time: SystemTime) -> String {
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_utc_civil_dates() {
        // `date -u -d @1795263123 +%Y%m%d-%H%M%S` prints 20261121-121203.
        let t = UNIX_EPOCH + Duration::from_secs(1_795_263_123);
        assert_eq!(utc_timestamp(t), "20261121-121203");
        assert_eq!(utc_timestamp(UNIX_EPOCH), "19700101-000000");
        // A leap day: `date -u -d 2024-02-29T23:59:59 +%s` is 1709251199.
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_251_199);
        assert_eq!(utc_timestamp(leap), "20240229-235959");
    }

    #[test]
    fn records_are_appended_as_they_come_and_folders_never_collide() {
        let root = tempfile::tempdir().unwrap();
        let run = RunDir::create(root.path(), "exp").unwrap();
        let other = RunDir::create(root.path(), "exp").unwrap();
        assert_ne!(run.path(), other.path());
        run.save_config(&serde_json::json!({"lr": 0.1})).unwrap();
        let mut log = run.epoch_log("", "acc", Scale::Linear, &[]).unwrap();
        let record = EpochRecord {
            epoch: 1,
            train_loss: 0.5,
            train_metric: 0.75,
            test_metric: Some(0.7),
            seconds: 1.25,
        };
        log.on_epoch(&record).unwrap();
        let csv = std::fs::read_to_string(run.path().join("metrics.csv")).unwrap();
        assert_eq!(
            csv,
            "epoch,train_loss,train_acc,test_acc,seconds\n1,0.500000,0.750000,0.700000,1.250\n"
        );
        assert!(run.path().join("curves.svg").is_file());
        assert!(run.path().join("config.json").is_file());
        let mut fold = run
            .epoch_log("fold-1-", "log_rmse", Scale::Log, &[])
            .unwrap();
        fold.on_epoch(&record).unwrap();
        let csv = std::fs::read_to_string(run.path().join("fold-1-metrics.csv")).unwrap();
        assert!(csv.starts_with("epoch,train_loss,train_log_rmse,test_log_rmse,seconds\n"));
        assert!(run.path().join("fold-1-curves.svg").is_file());
        // A resumed log starts from the epochs done.
        let again = run
            .epoch_log("", "acc", Scale::Linear, std::slice::from_ref(&record))
            .unwrap();
        assert_eq!(again.history(), std::slice::from_ref(&record));
        let csv = std::fs::read_to_string(run.path().join("metrics.csv")).unwrap();
        assert_eq!(csv.lines().count(), 2, "{csv}");
    }

    /// What the log writes reads back (to the file's decimals); a damaged line is named.
    #[test]
    fn metrics_read_back_as_written() {
        let root = tempfile::tempdir().unwrap();
        let run = RunDir::create(root.path(), "exp").unwrap();
        let mut log = run.epoch_log("", "log_rmse", Scale::Log, &[]).unwrap();
        let records = [(Some(0.25), 1.0), (None, 2.5)].map(|(test_metric, seconds)| EpochRecord {
            epoch: 1,
            train_loss: 0.125,
            train_metric: 0.5,
            test_metric,
            seconds,
        });
        for record in &records {
            log.on_epoch(record).unwrap();
        }
        let path = run.path().join(files::metrics(""));
        let read = read_metrics(&path).unwrap();
        assert_eq!(read.metric, "log_rmse");
        assert_eq!(read.epochs, records);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("0.125000", "x")).unwrap();
        let err = read_metrics(&path).unwrap_err().to_string();
        assert!(
            err.contains("metrics.csv") && err.contains("line 2"),
            "{err}"
        );
    }
}
