//! What a house run reports: the K-fold scores, the summary's keys, the submission.

use d2l_data::DataError;
use d2l_data::kaggle_house::{Frame, ID, TARGET};
use d2l_learner::TrainError;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::Error;

/// The scores of one fold after its last epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FoldScore {
    /// Log-RMSE on the fold's training rows.
    pub train: f64,
    /// Log-RMSE on the fold's validation rows.
    pub valid: f64,
}

/// What a house run reports. In JSON, flat keys: `fold_<i>_train_log_rmse`,
/// `fold_<i>_valid_log_rmse` (from 1), `train_log_rmse`, `valid_log_rmse` (their averages),
/// `train_log_rmse_sd`, `valid_log_rmse_sd` (their spread over the folds) and
/// `final_train_log_rmse`.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseResults {
    /// The cross-validation.
    pub k_fold: KFoldReport,
    /// The final model's training log-RMSE on all of `train.csv`.
    pub final_train_log_rmse: f64,
}

impl Serialize for HouseResults {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let folds = &self.k_fold.folds;
        let mut map = serializer.serialize_map(Some(2 * folds.len() + 5))?;
        for (i, fold) in folds.iter().enumerate() {
            map.serialize_entry(&format!("fold_{}_train_log_rmse", i + 1), &fold.train)?;
            map.serialize_entry(&format!("fold_{}_valid_log_rmse", i + 1), &fold.valid)?;
        }
        map.serialize_entry("train_log_rmse", &self.k_fold.train())?;
        map.serialize_entry("train_log_rmse_sd", &self.k_fold.train_sd())?;
        map.serialize_entry("valid_log_rmse", &self.k_fold.valid())?;
        map.serialize_entry("valid_log_rmse_sd", &self.k_fold.valid_sd())?;
        map.serialize_entry("final_train_log_rmse", &self.final_train_log_rmse)?;
        map.end()
    }
}

/// The scores of a K-fold cross-validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KFoldReport {
    /// Each fold's log-RMSE after its last epoch.
    pub folds: Vec<FoldScore>,
    /// Seconds of each epoch (its training pass and evaluations), fold after fold, or of each
    /// epoch of all the folds where they train side by side (an accelerator): the first is where
    /// a GPU backend compiles the kernels and tunes the products it has not met yet.
    pub epoch_seconds: Vec<f64>,
}

impl KFoldReport {
    /// Seconds of all the folds' epochs.
    pub fn seconds(&self) -> f64 {
        self.epoch_seconds.iter().sum()
    }

    /// The average training log-RMSE over the folds.
    pub fn train(&self) -> f64 {
        self.folds.iter().map(|f| f.train).sum::<f64>() / self.folds.len() as f64
    }

    /// The average validation log-RMSE over the folds.
    pub fn valid(&self) -> f64 {
        self.folds.iter().map(|f| f.valid).sum::<f64>() / self.folds.len() as f64
    }

    /// The sample standard deviation of the folds' training log-RMSE (0 for one fold).
    pub fn train_sd(&self) -> f64 {
        sample_sd(self.folds.iter().map(|f| f.train))
    }

    /// The sample standard deviation of the folds' validation log-RMSE (0 for one fold).
    pub fn valid_sd(&self) -> f64 {
        sample_sd(self.folds.iter().map(|f| f.valid))
    }
}

/// The sample standard deviation (`n - 1` in the denominator); 0 for fewer than two values.
fn sample_sd(values: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = values.clone().count();
    if n < 2 {
        return 0.0;
    }
    let mean = values.clone().sum::<f64>() / n as f64;
    let squares: f64 = values.map(|v| (v - mean).powi(2)).sum();
    (squares / (n - 1) as f64).sqrt()
}

/// `Id,SalePrice` rows for `frame` (the test file) and its predicted prices.
///
/// # Errors
/// When a price is not finite, or an id is missing.
pub(super) fn submission_csv(frame: &Frame, prices: &[f64]) -> Result<String, Error> {
    let ids = frame.numbers(ID);
    let mut csv = format!("{ID},{TARGET}\n");
    for (row, (id, price)) in ids.iter().zip(prices).enumerate() {
        let id = id.ok_or_else(|| DataError::Csv {
            path: frame.path.clone(),
            line: row as u64 + 2,
            column: Some(ID.to_string()),
            message: "the row has no Id".to_string(),
        })?;
        if !price.is_finite() {
            return Err(Error::Train(TrainError::Observer(format!(
                "the prediction for Id {id} is {price}"
            ))));
        }
        csv.push_str(&format!("{id},{price:.2}\n"));
    }
    Ok(csv)
}
