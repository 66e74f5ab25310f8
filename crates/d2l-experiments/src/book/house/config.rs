//! A house run's configuration (`config.json`) and its command-line options.

use burn::config::Config;
use burn::optim::AdamConfig;
use burn::tensor::Tensor;
use clap::{Args, ValueEnum};
use d2l_data::PreprocessOptions;
use d2l_learner::{LearnerConfig, LogRmse, LogTargetRmse, Metric, UpdaterConfig};
use serde::{Deserialize, Serialize};

use crate::LearnerArgs;
use crate::args::{non_negative_number, positive_count, probability};

/// The model of a house run (`--model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum HouseModel {
    /// d2l's `nn.Linear(330, 1)`.
    Linear,
    /// One hidden layer of ReLU units with dropout after it.
    Mlp,
}

/// The recipe of a house run (`--recipe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum HouseRecipe {
    /// d2l's: raw prices, MSE, the book's preprocessing.
    Book,
    /// Log prices, log-transformed skewed features, clipping, an L1 penalty (the lasso).
    Better,
}

/// The training loss of a house run (`--loss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum HouseLoss {
    /// d2l's: the mean squared error of the prices (of the log prices, in the better recipe).
    Mse,
    /// The log-RMSE itself as the objective, as the study notes tried it
    /// ([`log_rmse_loss`](d2l_models::log_rmse_loss)); the book recipe only (raw prices).
    LogRmse,
}

// ANCHOR: EvalMode
/// How a house run's K-fold evaluations treat dropout (`--eval-mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum EvalMode {
    /// The model in evaluation mode, dropout off (PyTorch's `net.eval()`): correct.
    Eval,
    /// The model as it trains, dropout on: the pitfall the study notes fell into, kept to
    /// show what it does to the validation figures.
    Train,
}
// ANCHOR_END: EvalMode

/// The configuration of a house run (`config.json`); [`HouseConfig::new`] is d2l's recipe.
#[derive(Config, Debug, PartialEq)]
pub struct HouseConfig {
    /// The recipe.
    #[config(default = "HouseRecipe::Book")]
    pub recipe: HouseRecipe,
    /// The model.
    #[config(default = "HouseModel::Linear")]
    pub model: HouseModel,
    /// Folds of the cross-validation.
    #[config(default = 5)]
    pub k: usize,
    /// Hidden units of the MLP.
    #[config(default = 256)]
    pub hidden: usize,
    /// Dropout probability after the MLP's hidden layer.
    #[config(default = 0.1)]
    pub dropout: f64,
    /// The L1 penalty of the better recipe's lasso (linear model only).
    #[config(default = 0.0)]
    pub l1: f64,
    /// The training loss.
    #[config(default = "HouseLoss::Mse")]
    pub loss: HouseLoss,
    /// How the log-RMSE after each epoch is measured (training rows and validation fold).
    #[config(default = "EvalMode::Eval")]
    pub eval_mode: EvalMode,
    /// Changes to d2l's preprocessing.
    #[config(default = "PreprocessOptions::default()")]
    pub preprocess: PreprocessOptions,
    /// Adam, as d2l's `torch.optim.Adam(lr, weight_decay)`: epsilon 1e-8, weight decay 0.
    #[config(default = "UpdaterConfig::Adam(AdamConfig::new().with_epsilon(1e-8))")]
    pub optimizer: UpdaterConfig,
    /// The training loop: batch 64, lr 5, 100 epochs.
    #[config(default = "LearnerConfig::new().with_epochs(100).with_batch_size(64).with_lr(5.0)")]
    pub learner: LearnerConfig,
}

impl HouseConfig {
    /// The better recipe (module docs).
    pub fn better() -> Self {
        HouseConfig::new()
            .with_recipe(HouseRecipe::Better)
            .with_l1(6e-4)
            .with_preprocess(PreprocessOptions {
                log1p_skewed: Some(0.75),
                clip: Some(3.0),
            })
            .with_learner(
                LearnerConfig::new()
                    .with_epochs(400)
                    .with_batch_size(256)
                    .with_lr(0.003),
            )
    }

    /// The optimizer's weight decay (0 for none), read from its saved form: Burn's optimizer
    /// configs keep their fields private.
    pub fn weight_decay(&self) -> f64 {
        let json = serde_json::to_value(&self.optimizer).expect("a config serialises");
        json.as_object()
            .and_then(|rule| rule.values().next())
            .and_then(|config| config["weight_decay"]["penalty"].as_f64())
            .unwrap_or(0.0)
    }

    /// Whether the model predicts log prices (the better recipe).
    pub(super) fn log_target(&self) -> bool {
        self.recipe == HouseRecipe::Better
    }

    /// d2l's `log_rmse`, on the prices or, in the better recipe, on the log prices the
    /// model predicts.
    pub(super) fn metric(&self) -> &'static dyn Metric<Tensor<2>> {
        match self.log_target() {
            true => &LogTargetRmse,
            false => &LogRmse,
        }
    }
}

/// The options of `house`.
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct HouseArgs {
    /// The training loop.
    #[command(flatten)]
    pub learner: LearnerArgs,
    /// book (d2l 4.10) or better (log prices, log-transformed skewed features, lasso).
    #[arg(long, value_enum)]
    pub recipe: Option<HouseRecipe>,
    /// Folds of the cross-validation (at least 2).
    #[arg(long, allow_negative_numbers = true, value_parser = at_least_two)]
    pub k: Option<usize>,
    /// The model: d2l's linear net, or an MLP with one hidden layer and dropout.
    #[arg(long, value_enum)]
    pub model: Option<HouseModel>,
    /// Hidden units of the MLP (with --model mlp).
    #[arg(long, allow_negative_numbers = true, value_parser = positive_count)]
    pub hidden: Option<usize>,
    /// Dropout probability after the MLP's hidden layer (with --model mlp).
    #[arg(long, allow_negative_numbers = true, value_parser = probability)]
    pub dropout: Option<f64>,
    /// Adam's weight decay (PyTorch's weight_decay: an L2 term on every parameter's gradient).
    #[arg(long, allow_negative_numbers = true, value_parser = non_negative_number)]
    pub weight_decay: Option<f64>,
    /// The training loss: mse (d2l's), or log-rmse, the evaluation measure itself as the
    /// objective (book recipe only; it trains far worse, as the study notes found).
    #[arg(long, value_enum)]
    pub loss: Option<HouseLoss>,
    /// eval: measure with dropout off (correct); train: with dropout on, the pitfall of
    /// forgetting PyTorch's net.eval(), kept to show what it costs.
    #[arg(long, value_enum)]
    pub eval_mode: Option<EvalMode>,
}

/// `--k`: a whole number of at least 2.
fn at_least_two(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(k) if k >= 2 => Ok(k),
        _ => Err("K-fold needs a whole number of at least 2 folds".to_string()),
    }
}
