//! d2l 4.10, Kaggle house prices: the book's preprocessing, K-fold cross-validation with
//! log-RMSE, a final model trained on all of `train.csv`, and `submission.csv`.
//!
//! Two recipes:
//! - `book`: d2l's, `Linear(330, 1)` (or an MLP with dropout) on raw prices, MSE loss, Adam
//!   (lr 5, batch 64, 100 epochs, weight decay 0).
//! - `better`: trained on `ln(SalePrice)`; numeric columns whose skewness exceeds 0.75 are
//!   `log1p`-transformed before standardising and standardised values are clipped to ±3 (a
//!   few huge houses otherwise extrapolate wildly); a lasso (`Linear` with an L1 penalty
//!   `6e-4 Σ|w|` on half the mean squared error) trained with Adam, lr 0.003, batch 256,
//!   400 epochs, the bias starting at the mean log price.

mod config;
mod data;
mod results;
mod side_by_side;
#[cfg(test)]
mod tests;
mod train;

use burn::optim::decay::WeightDecayConfig;
use burn::tensor::{Tensor, TensorData};
use d2l_data::KaggleHouse;
use d2l_data::kaggle_house::read_frame;
use d2l_learner::run::files;
use d2l_learner::{LearnerConfig, UpdaterConfig, evaluate_with, evaluation_batch_size};
use std::path::Path;

pub use config::{EvalMode, HouseArgs, HouseConfig, HouseLoss, HouseModel, HouseRecipe};
pub(crate) use data::HouseData;
pub use results::{FoldScore, HouseResults, KFoldReport};

use crate::Error;
use crate::args::value_name;
use crate::book::write;
use crate::experiment::{Experiment, Prediction, Run};
use crate::export::{Exported, TorchSequential, write_safetensors};
use results::submission_csv;
use train::{load_final, load_preprocessor, prices};

/// d2l 4.10: Kaggle house prices, K-fold cross-validation and a submission.
pub struct House;

impl Experiment for House {
    const NAME: &'static str = "house";
    const SECTION: &'static str = "d2l 4.10 Kaggle house prices, K-fold";
    type Args = HouseArgs;
    type Config = HouseConfig;
    type Results = HouseResults;

    fn config(args: &HouseArgs) -> Result<HouseConfig, Error> {
        let mut config = match args.recipe.unwrap_or(HouseRecipe::Book) {
            HouseRecipe::Book => HouseConfig::new(),
            HouseRecipe::Better => HouseConfig::better(),
        };
        if let Some(model) = args.model {
            config.model = model;
        }
        if (args.hidden.is_some() || args.dropout.is_some()) && config.model != HouseModel::Mlp {
            return Err(Error::Option(
                "--hidden and --dropout shape the MLP: add --model mlp".to_string(),
            ));
        }
        if config.model == HouseModel::Mlp {
            // The lasso penalty belongs to the linear model.
            config.l1 = 0.0;
        }
        config.k = args.k.unwrap_or(config.k);
        config.hidden = args.hidden.unwrap_or(config.hidden);
        config.dropout = args.dropout.unwrap_or(config.dropout);
        config.loss = args.loss.unwrap_or(config.loss);
        if config.loss == HouseLoss::LogRmse && config.log_target() {
            return Err(Error::Option(
                "--loss log-rmse trains on raw prices: it goes with --recipe book".to_string(),
            ));
        }
        config.eval_mode = args.eval_mode.unwrap_or(config.eval_mode);
        if let (Some(decay), UpdaterConfig::Adam(adam)) = (args.weight_decay, &config.optimizer) {
            let decay = (decay > 0.0).then(|| WeightDecayConfig::new(decay as f32));
            config.optimizer = UpdaterConfig::Adam(adam.clone().with_weight_decay(decay));
        }
        config.learner = args.learner.apply(config.learner);
        Ok(config)
    }

    fn learner(config: &HouseConfig) -> &LearnerConfig {
        &config.learner
    }

    fn learner_mut(config: &mut HouseConfig) -> &mut LearnerConfig {
        &mut config.learner
    }

    const HEADLINE: &'static str = "valid_log_rmse";
    const LOWER_IS_BETTER: bool = true;

    fn shown_defaults(config: &HouseConfig) -> Vec<(&'static str, String)> {
        vec![
            ("recipe", value_name(&config.recipe)),
            ("k", config.k.to_string()),
            ("model", value_name(&config.model)),
            ("hidden", config.hidden.to_string()),
            ("dropout", config.dropout.to_string()),
            ("weight_decay", config.weight_decay().to_string()),
            ("loss", value_name(&config.loss)),
            ("eval_mode", value_name(&config.eval_mode)),
        ]
    }

    fn variants() -> Vec<(&'static str, HouseArgs)> {
        let better = HouseArgs {
            recipe: Some(HouseRecipe::Better),
            ..HouseArgs::default()
        };
        vec![("--recipe better", better)]
    }

    /// K-fold cross-validation, then the final model on all of `train.csv` and its
    /// submission; writes `preprocessor.json`, `fold-<i>-*` and `submission.csv` beside the
    /// final model's metrics, curves and weights.
    fn run(config: &HouseConfig, run: &Run<'_>) -> Result<HouseResults, Error> {
        let data = KaggleHouse::load(run.data_dir)?;
        let prepared = HouseData::prepare(config, &data)?;
        let preprocessor = serde_json::to_string_pretty(&prepared.preprocessor)
            .expect("a preprocessor serialises");
        run.dir
            .write_file(files::PREPROCESSOR, preprocessor.as_bytes())?;
        let k_fold = prepared.k_fold(config, run)?;
        if run.progress {
            eprintln!(
                "{}-fold validation: avg train log rmse {:.6}, avg valid log rmse {:.6}",
                config.k,
                k_fold.train(),
                k_fold.valid()
            );
        }
        let (prices, last) = prepared.final_model(config, run)?;
        let submission = submission_csv(&data.test, &prices)?;
        run.dir
            .write_file(files::SUBMISSION, submission.as_bytes())?;
        Ok(HouseResults {
            k_fold,
            final_train_log_rmse: last.train_metric,
        })
    }

    /// The final model's log-RMSE on all of `train.csv` (`final_train_log_rmse`), as the run
    /// measured it.
    fn evaluate(config: &HouseConfig, run: &Run<'_>) -> Result<Vec<(&'static str, f64)>, Error> {
        let prepared = HouseData::prepare(config, &KaggleHouse::load(run.data_dir)?)?;
        let trained = load_final(config, prepared.table.width(), run)?;
        let batch_size = evaluation_batch_size(config.learner.batch_size, run.device);
        let train = prepared.table.all(run.device);
        let rmse = evaluate_with(&|x| trained.forward(x), &train, config.metric(), batch_size)?;
        Ok(vec![("final_train_log_rmse", rmse)])
    }

    /// The final model as d2l's PyTorch network: `nn.Linear(width, 1)` (`0.weight`,
    /// `0.bias`), or the MLP's `nn.Linear`, `nn.ReLU()`, `nn.Dropout`, `nn.Linear`. A run on log
    /// prices (`--recipe better`) exports a network whose outputs are log prices.
    fn export(config: &HouseConfig, run: &Run<'_>, out: &Path) -> Result<Exported, Error> {
        let width = load_preprocessor(run)?.num_features();
        let trained = load_final(config, width, run)?;
        let layers = trained.linear_layers();
        let layout = TorchSequential {
            flatten: false,
            dropout: config.model == HouseModel::Mlp,
        };
        write_safetensors(layers, layout, Self::NAME, out)
    }

    /// Prices the houses of `input` (a CSV with Kaggle's schema, [`read_frame`]) with the run's
    /// preprocessor and final model into the CSV `out` (`Id,SalePrice`, as `submission.csv`).
    fn predict(
        config: &HouseConfig,
        run: &Run<'_>,
        input: &Path,
        out: &Path,
    ) -> Result<Prediction, Error> {
        let preprocessor = load_preprocessor(run)?;
        let frame = read_frame(input)?;
        let width = preprocessor.num_features();
        let trained = load_final(config, width, run)?;
        let prices = if frame.is_empty() {
            Vec::new()
        } else {
            let features = preprocessor.transform(&frame)?;
            let x = Tensor::from_data(TensorData::new(features, [frame.len(), width]), run.device);
            prices(config, trained.forward(x))?
        };
        write(out, submission_csv(&frame, &prices)?.as_bytes())?;
        Ok(Prediction {
            out: out.to_path_buf(),
            rows: prices.len(),
            grid: None,
        })
    }
}
