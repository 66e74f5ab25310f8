//! The run folder: `runs/<experiment>-<timestamp>/` with `config.json`, `metrics.csv`, the
//! curves, the weights, and a one-line JSON summary.
//!
//! Every file is written as soon as what it holds is known (the metrics after each epoch), so a
//! run that stops early — diverged, interrupted — keeps what it had.

use burn::module::Module;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::learner::{EpochRecord, Observer, TrainError};
use crate::plot::plot_curves;

/// The header of `metrics.csv`.
pub const METRICS_HEADER: &str = "epoch,train_loss,train_acc,test_acc,seconds";

/// A run folder being filled.
#[derive(Debug)]
pub struct RunDir {
    path: PathBuf,
    metrics: File,
    history: Vec<EpochRecord>,
    metric_name: String,
}

impl RunDir {
    /// Creates `root/<experiment>-<UTC timestamp>` (with a numeric suffix if that exists) and
    /// an empty `metrics.csv` in it.
    ///
    /// `metric_name` labels the metric in the plot (`"acc"`); the CSV keeps the fixed header
    /// [`METRICS_HEADER`].
    pub fn create(root: &Path, experiment: &str, metric_name: &str) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let stamp = utc_timestamp(SystemTime::now());
        let mut path = root.join(format!("{experiment}-{stamp}"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = root.join(format!("{experiment}-{stamp}-{n}"));
        }
        std::fs::create_dir(&path)?;
        let mut metrics = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(path.join("metrics.csv"))?;
        writeln!(metrics, "{METRICS_HEADER}")?;
        Ok(Self {
            path,
            metrics,
            history: Vec::new(),
            metric_name: metric_name.to_string(),
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `config.json` (pretty-printed).
    pub fn save_config<C: Serialize>(&self, config: &C) -> std::io::Result<()> {
        let json = serde_json::to_string_pretty(config).map_err(std::io::Error::other)?;
        std::fs::write(self.path.join("config.json"), json + "\n")
    }

    /// Saves the trained weights as `model.bpk` (Burn's burnpack format) and returns its path.
    pub fn save_weights<M: Module>(&self, model: M) -> std::io::Result<PathBuf> {
        let path = self.path.join("model.bpk");
        model
            .save_file(&path)
            .map_err(|e| std::io::Error::other(format!("{}: {e}", path.display())))?;
        Ok(path)
    }

    /// Writes a file of the run (a plot, a submission) and returns its path.
    pub fn write_file(&self, name: &str, contents: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.path.join(name);
        std::fs::write(&path, contents)?;
        Ok(path)
    }

    /// The epochs recorded so far.
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    fn record(&mut self, record: &EpochRecord) -> std::io::Result<()> {
        let test = record
            .test_metric
            .map_or_else(String::new, |v| format!("{v:.6}"));
        writeln!(
            self.metrics,
            "{},{:.6},{:.6},{},{:.3}",
            record.epoch, record.train_loss, record.train_metric, test, record.seconds
        )?;
        self.metrics.flush()?;
        self.history.push(record.clone());
        let svg = plot_curves(&self.history, &self.metric_name)?;
        std::fs::write(self.path.join("curves.svg"), svg)
    }
}

impl Observer for RunDir {
    fn on_epoch(&mut self, record: &EpochRecord) -> Result<(), TrainError> {
        self.record(record).map_err(|e| {
            TrainError::Observer(format!("cannot write to {}: {e}", self.path.display()))
        })
    }
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
        let mut run = RunDir::create(root.path(), "exp", "acc").unwrap();
        let other = RunDir::create(root.path(), "exp", "acc").unwrap();
        assert_ne!(run.path(), other.path());
        run.save_config(&serde_json::json!({"lr": 0.1})).unwrap();
        let record = EpochRecord {
            epoch: 1,
            train_loss: 0.5,
            train_metric: 0.75,
            test_metric: Some(0.7),
            seconds: 1.25,
        };
        run.on_epoch(&record).unwrap();
        let csv = std::fs::read_to_string(run.path().join("metrics.csv")).unwrap();
        assert_eq!(
            csv,
            format!("{METRICS_HEADER}\n1,0.500000,0.750000,0.700000,1.250\n")
        );
        assert!(run.path().join("curves.svg").is_file());
        assert!(run.path().join("config.json").is_file());
    }
}
