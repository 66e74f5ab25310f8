//! The house data prepared as a recipe says, and the K-fold and final trainings over it.

use burn::tensor::{Tensor, TensorData};
use d2l_data::kaggle_house::TARGET;
use d2l_data::{DataError, KaggleHouse, Preprocessor, Table};
use d2l_learner::EpochRecord;

use super::config::HouseConfig;
use super::results::{FoldScore, KFoldReport};
use super::train::{Trainer, k_fold_rows};
use crate::Error;
use crate::experiment::Run;

/// The house data prepared for training: the preprocessor fitted on train and test features,
/// the training table (features and targets, log prices for the better recipe) and the test
/// features.
pub(crate) struct HouseData {
    /// The fitted preprocessing.
    pub(crate) preprocessor: Preprocessor,
    /// The training rows: features and targets.
    pub(crate) table: Table,
    test_features: Vec<f32>,
    mean_target: f64,
}

impl HouseData {
    /// Preprocesses `data` as `config`'s recipe says.
    ///
    /// # Errors
    /// When a `SalePrice` is missing or not positive (naming the file and line).
    pub(crate) fn prepare(config: &HouseConfig, data: &KaggleHouse) -> Result<Self, Error> {
        let preprocessor = Preprocessor::fit_with(&[&data.train, &data.test], config.preprocess);
        let targets: Vec<f32> = data
            .train
            .numbers(TARGET)
            .into_iter()
            .enumerate()
            .map(|(row, price)| {
                let price = price.filter(|p| *p > 0.0).ok_or_else(|| DataError::Csv {
                    path: data.train.path.clone(),
                    line: row as u64 + 2,
                    column: Some(TARGET.to_string()),
                    message: "the sale price must be a positive number".to_string(),
                })?;
                Ok(if config.log_target() {
                    price.ln()
                } else {
                    price
                } as f32)
            })
            .collect::<Result<_, Error>>()?;
        let mean_target =
            targets.iter().map(|&t| f64::from(t)).sum::<f64>() / targets.len().max(1) as f64;
        Ok(Self {
            table: Table::new(
                preprocessor.transform(&data.train)?,
                preprocessor.num_features(),
                targets,
            ),
            test_features: preprocessor.transform(&data.test)?,
            preprocessor,
            mean_target,
        })
    }

    fn trainer<'a>(&self, config: &'a HouseConfig, run: &Run<'a>) -> Trainer<'a> {
        Trainer {
            config,
            device: run.device,
            width: self.table.width(),
            mean_target: self.mean_target,
            progress: run.progress,
            wait_each_step: run.wait_each_step,
            data_parallel: run.data_parallel.clone(),
        }
    }

    // ANCHOR: k_fold
    /// d2l's `k_fold`: a fresh model per fold, trained on the other folds and validated on
    /// this one, each into the run's folder as `fold-<i>-*`.
    pub(crate) fn k_fold(&self, config: &HouseConfig, run: &Run<'_>) -> Result<KFoldReport, Error> {
        let (device, run_dir) = (run.device, run.dir);
        let n = self.table.len();
        if config.k > n {
            return Err(Error::Option(format!(
                "--k {} exceeds the {n} rows",
                config.k
            )));
        }
        let trainer = self.trainer(config, run);
        let mut report = KFoldReport::default();
        for i in 0..config.k {
            let (train_rows, valid_rows) = k_fold_rows(n, config.k, i);
            let train = self.table.dataset(&train_rows, device);
            let valid = self.table.dataset(&valid_rows, device);
            let prefix = format!("fold-{}-", i + 1);
            let (history, _) = trainer.fit((run_dir, &prefix), &train, Some(&valid), None)?;
            let last = history.last().expect("at least one epoch");
            let fold = FoldScore {
                train: last.train_metric,
                valid: last.test_metric.unwrap_or(f64::NAN),
            };
            if run.progress {
                eprintln!(
                    "fold {}: train log rmse {:.6}, valid log rmse {:.6}",
                    i + 1,
                    fold.train,
                    fold.valid
                );
            }
            report.folds.push(fold);
            report
                .epoch_seconds
                .extend(history.iter().map(|r| r.seconds));
        }
        Ok(report)
    }
    // ANCHOR_END: k_fold

    /// Trains the final model on every training row (metrics, curves and weights of the run's
    /// folder) and predicts the test prices.
    pub(crate) fn final_model(
        &self,
        config: &HouseConfig,
        run: &Run<'_>,
    ) -> Result<(Vec<f64>, EpochRecord), Error> {
        let device = run.device;
        let train = self.table.all(device);
        let width = self.table.width();
        let rows = self.test_features.len() / width.max(1);
        let test = Tensor::from_data(
            TensorData::new(self.test_features.clone(), [rows, width]),
            device,
        );
        let (history, predictions) =
            self.trainer(config, run)
                .fit((run.dir, ""), &train, None, Some(test))?;
        let last = history.last().expect("at least one epoch").clone();
        Ok((predictions.expect("predictions were asked for"), last))
    }
}
