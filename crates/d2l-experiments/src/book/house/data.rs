//! The house data prepared as a recipe says, and the K-fold and final trainings over it.

use burn::tensor::{Tensor, TensorData};
use d2l_data::kaggle_house::TARGET;
use d2l_data::{DataError, KaggleHouse, Preprocessor, Table};
use d2l_device::is_accelerator;
use d2l_learner::EpochRecord;

use super::config::{HouseConfig, HouseModel};
use super::results::{FoldScore, KFoldReport};
use super::side_by_side::{self, Histories};
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
    /// this one, each into the run's folder as `fold-<i>-*`. On an accelerator the linear
    /// model's folds train side by side as one model ([`side_by_side`]), with the same
    /// arithmetic.
    pub(crate) fn k_fold(&self, config: &HouseConfig, run: &Run<'_>) -> Result<KFoldReport, Error> {
        let n = self.table.len();
        if config.k > n {
            return Err(Error::Option(format!(
                "--k {} exceeds the {n} rows",
                config.k
            )));
        }
        let trainer = self.trainer(config, run);
        let side_by_side = config.model == HouseModel::Linear
            && run.data_parallel.is_empty()
            && is_accelerator(run.device);
        let (histories, epoch_seconds) = match side_by_side {
            true => side_by_side::k_fold(&trainer, &self.table, run.dir)?,
            false => self.one_by_one(&trainer, config.k, run)?,
        };
        let folds = histories.iter().map(|history| {
            let last = history.last().expect("at least one epoch");
            FoldScore {
                train: last.train_metric,
                valid: last.test_metric.unwrap_or(f64::NAN),
            }
        });
        let report = KFoldReport {
            folds: folds.collect(),
            epoch_seconds,
        };
        if run.progress {
            for (i, fold) in report.folds.iter().enumerate() {
                eprintln!(
                    "fold {}: train log rmse {:.6}, valid log rmse {:.6}",
                    i + 1,
                    fold.train,
                    fold.valid
                );
            }
        }
        Ok(report)
    }

    /// The folds trained one after the other, each by the Learner (checkpointed, resumable):
    /// their histories and their epochs' seconds, fold after fold.
    pub(super) fn one_by_one(
        &self,
        trainer: &Trainer<'_>,
        k: usize,
        run: &Run<'_>,
    ) -> Result<Histories, Error> {
        let mut histories = Vec::with_capacity(k);
        for i in 0..k {
            let (train_rows, valid_rows) = k_fold_rows(self.table.len(), k, i);
            let train = self.table.dataset(&train_rows, run.device);
            let valid = self.table.dataset(&valid_rows, run.device);
            let prefix = format!("fold-{}-", i + 1);
            let (history, _) = trainer.fit((run.dir, &prefix), &train, Some(&valid), None)?;
            histories.push(history);
        }
        let seconds = histories.iter().flatten().map(|r| r.seconds).collect();
        Ok((histories, seconds))
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
