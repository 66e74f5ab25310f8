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

use burn::config::Config;
use burn::module::Param;
use burn::optim::AdamConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::tensor::{Device, Tensor, TensorData};
use clap::{Args, ValueEnum};
use d2l_data::kaggle_house::{Frame, ID, TARGET, read_frame};
use d2l_data::{DataError, KaggleHouse, PreprocessOptions, Preprocessor, Table, TensorDataset};
use d2l_learner::run::files;
use d2l_learner::{
    EpochRecord, Learner, LearnerConfig, LogRmse, LogTargetRmse, Loss, Metric, Model, RunDir,
    Scale, TrainError, UpdaterConfig, evaluate_with, evaluation_batch_size,
};
use d2l_models::{
    Init, LinearLayers, LinearRegression, LinearRegressionConfig, LinearRegressionScratch, Mlp,
    MlpConfig, half_squared_error, log_rmse_loss, squared_error,
};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use std::path::Path;

use crate::args::{non_negative_number, positive_count, probability, value_name};
use crate::experiment::{Experiment, Prediction, Run};
use crate::export::{Exported, TorchSequential, write_safetensors};
use crate::fashion::{load, write};
use crate::{Error, LearnerArgs};

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
    /// ([`log_rmse_loss`]); the book recipe only (raw prices).
    LogRmse,
}

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

    fn log_target(&self) -> bool {
        self.recipe == HouseRecipe::Better
    }

    /// d2l's `log_rmse`, on the prices or, in the better recipe, on the log prices the
    /// model predicts.
    fn metric(&self) -> &'static dyn Metric<Tensor<2>> {
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

fn at_least_two(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(k) if k >= 2 => Ok(k),
        _ => Err("K-fold needs a whole number of at least 2 folds".to_string()),
    }
}

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
        let trained = TrainedHouse::load(config, prepared.table.width(), run)?;
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
        let trained = TrainedHouse::load(config, width, run)?;
        let layers = match &trained {
            TrainedHouse::Linear(m) => m.linear_layers(),
            TrainedHouse::Lasso(m) => m.linear_layers(),
            TrainedHouse::Mlp(m) => m.linear_layers(),
        };
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
        let trained = TrainedHouse::load(config, width, run)?;
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

/// d2l's `get_k_fold_data`: fold `i` of `k` over `n` rows validates on the contiguous rows
/// `i * n/k .. (i+1) * n/k` and trains on the other folds (rows past `k * (n/k)` are used by
/// none). Returns (training rows, validation rows).
///
/// # Panics
/// If `i >= k` or `k > n`.
fn k_fold_rows(n: usize, k: usize, i: usize) -> (Vec<usize>, Vec<usize>) {
    assert!(i < k && k <= n, "fold {i} of {k} over {n} rows");
    let size = n / k;
    let valid = (i * size..(i + 1) * size).collect();
    let train = (0..k * size)
        .filter(|row| !(i * size..(i + 1) * size).contains(row))
        .collect();
    (train, valid)
}

/// Trains house models with one configuration.
struct Trainer<'a> {
    config: &'a HouseConfig,
    device: &'a Device,
    width: usize,
    mean_target: f64,
    progress: bool,
    wait_each_step: bool,
}

/// A trained model's history and, when asked for, its predicted prices.
type Fitted = (Vec<EpochRecord>, Option<Vec<f64>>);

impl Trainer<'_> {
    /// Trains a fresh model on `train` into `run_dir` under `prefix`, evaluating on `valid`
    /// after each epoch, and predicts prices (clamped to at least 1) for `predict`.
    fn fit(
        &self,
        (run_dir, prefix): (&RunDir, &str),
        train: &TensorDataset<Tensor<2>>,
        valid: Option<&TensorDataset<Tensor<2>>>,
        predict: Option<Tensor<2>>,
    ) -> Result<Fitted, Error> {
        let ad = self.device.clone().autodiff();
        let config = self.config;
        let fit = FitArgs {
            run_dir,
            prefix,
            train,
            valid,
            predict,
        };
        match (config.model, config.recipe) {
            (HouseModel::Linear, HouseRecipe::Book) => {
                self.fit_model(linear_config(self.width).init(&ad), fit)
            }
            (HouseModel::Linear, HouseRecipe::Better) => {
                let mut model = linear_config(self.width).init_scratch(0.0, &ad);
                model.l1 = config.l1;
                model.b = Param::from_tensor(Tensor::full([1], self.mean_target, &ad));
                self.fit_model(model, fit)
            }
            (HouseModel::Mlp, _) => {
                let mut model = mlp_config(config, self.width).init(&ad);
                if config.log_target() {
                    let last = model.layers.last_mut().expect("an output layer");
                    last.bias = Some(Param::from_tensor(Tensor::full([1], self.mean_target, &ad)));
                }
                self.fit_model(model, fit)
            }
        }
    }

    fn fit_model<M: Model>(&self, model: M, fit: FitArgs<'_>) -> Result<Fitted, Error> {
        let config = self.config;
        let loss: &dyn Loss<Tensor<2>> = match (config.log_target(), config.loss) {
            (true, _) => &half_squared_error,
            (false, HouseLoss::Mse) => &squared_error,
            (false, HouseLoss::LogRmse) => &log_rmse_loss,
        };
        let metric = config.metric();
        let (model, history) = Learner::new(
            config.learner.clone(),
            loss,
            metric,
            config.optimizer.init(),
        )
        .evaluate_train(true)
        .evaluate_in_training_mode(config.eval_mode == EvalMode::Train)
        .progress(self.progress)
        .wait_each_step(self.wait_each_step)
        .fit_into(
            fit.run_dir,
            fit.prefix,
            Scale::Log,
            model,
            fit.train,
            fit.valid,
        )?;
        let predictions = match fit.predict {
            Some(x) => Some(prices(config, model.forward(x))?),
            None => None,
        };
        Ok((history, predictions))
    }
}

/// The preprocessor a run saved (`preprocessor.json`).
fn load_preprocessor(run: &Run<'_>) -> Result<Preprocessor, Error> {
    let path = run.dir.path().join(files::PREPROCESSOR);
    let unreadable = |message: String| Error::Config {
        path: path.clone(),
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()))
}

/// d2l's `nn.Linear(width, 1)` with PyTorch's default initialisation.
fn linear_config(width: usize) -> LinearRegressionConfig {
    LinearRegressionConfig::new(width).with_init(Init::Torch)
}

/// The MLP of `--model mlp`: one hidden layer, dropout after it, PyTorch's initialisation.
fn mlp_config(config: &HouseConfig, width: usize) -> MlpConfig {
    MlpConfig::new()
        .with_num_inputs(width)
        .with_hidden(vec![config.hidden])
        .with_num_outputs(1)
        .with_dropout(vec![config.dropout])
        .with_init(Init::Torch)
}

/// Prices from a model's outputs (`exp` of them for log prices), clamped to at least 1.
fn prices(config: &HouseConfig, outputs: Tensor<2>) -> Result<Vec<f64>, Error> {
    let prices = if config.log_target() {
        outputs.exp()
    } else {
        outputs
    };
    let prices = prices.clamp_min(1.0).try_to_vec_as::<f32>()?;
    Ok(prices.into_iter().map(f64::from).collect())
}

/// The final model of a house run loaded from its folder (`model.bpk`), on a device without
/// autodiff.
enum TrainedHouse {
    Linear(LinearRegression),
    Lasso(LinearRegressionScratch),
    Mlp(Mlp),
}

impl TrainedHouse {
    fn load(config: &HouseConfig, width: usize, run: &Run<'_>) -> Result<Self, Error> {
        let path = run.dir.weights_path("");
        let device = run.device;
        Ok(match (config.model, config.recipe) {
            (HouseModel::Linear, HouseRecipe::Book) => {
                TrainedHouse::Linear(load(linear_config(width).init(device), &path)?)
            }
            (HouseModel::Linear, HouseRecipe::Better) => {
                TrainedHouse::Lasso(load(linear_config(width).init_scratch(0.0, device), &path)?)
            }
            (HouseModel::Mlp, _) => {
                TrainedHouse::Mlp(load(mlp_config(config, width).init(device), &path)?)
            }
        })
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match self {
            TrainedHouse::Linear(m) => m.forward(x),
            TrainedHouse::Lasso(m) => m.forward(x),
            TrainedHouse::Mlp(m) => m.forward(x),
        }
    }
}

/// Where a [`Trainer::fit`] goes and what it trains on.
struct FitArgs<'a> {
    run_dir: &'a RunDir,
    prefix: &'a str,
    train: &'a TensorDataset<Tensor<2>>,
    valid: Option<&'a TensorDataset<Tensor<2>>>,
    predict: Option<Tensor<2>>,
}

/// `Id,SalePrice` rows for `frame` (the test file) and its predicted prices.
///
/// # Errors
/// When a price is not finite, or an id is missing.
fn submission_csv(frame: &Frame, prices: &[f64]) -> Result<String, Error> {
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

/// The house data prepared for training: the preprocessor fitted on train and test features,
/// the training table (features and targets, log prices for the better recipe) and the test
/// features.
pub(crate) struct HouseData {
    /// The fitted preprocessing.
    pub(crate) preprocessor: Preprocessor,
    table: Table,
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
        }
    }

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
            report.seconds += history.iter().map(|r| r.seconds).sum::<f64>();
        }
        Ok(report)
    }

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

/// The scores of a K-fold cross-validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KFoldReport {
    /// Each fold's log-RMSE after its last epoch.
    pub folds: Vec<FoldScore>,
    /// Seconds of the folds' epochs (training passes and evaluations), summed.
    pub seconds: f64,
}

impl KFoldReport {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_are_contiguous_and_cover_k_times_n_over_k_rows() {
        // d2l's get_k_fold_data with n = 10, k = 3: fold size 3, row 9 in no fold.
        let (train, valid) = k_fold_rows(10, 3, 1);
        assert_eq!(valid, vec![3, 4, 5]);
        assert_eq!(train, vec![0, 1, 2, 6, 7, 8]);
        let (train, valid) = k_fold_rows(1460, 5, 4);
        assert_eq!((valid[0], valid.len()), (1168, 292));
        assert_eq!(
            (train[0], *train.last().unwrap(), train.len()),
            (0, 1167, 1168)
        );
    }

    #[test]
    fn a_missing_sale_price_is_an_error_naming_file_line_and_column() {
        let columns = d2l_data::kaggle_house::COLUMNS;
        let mut row: Vec<String> = columns.iter().map(|_| "NA".to_string()).collect();
        row[0] = "1".to_string();
        let csv = format!("{}\n{}\n", columns.join(","), row.join(","));
        let path = std::path::Path::new("somewhere/train.csv");
        let train = Frame::parse(path, csv.as_bytes(), &columns).unwrap();
        let test = Frame::parse(
            path,
            format!("{}\n", columns[..80].join(",")).as_bytes(),
            &columns[..80],
        )
        .unwrap();
        let err = HouseData::prepare(&HouseConfig::new(), &KaggleHouse { train, test })
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("somewhere/train.csv") && err.contains('2') && err.contains("SalePrice"),
            "{err}"
        );
    }

    #[test]
    fn options_set_the_recipe_and_refuse_what_the_model_does_not_take() {
        let args = |edit: fn(&mut HouseArgs)| {
            let mut args = HouseArgs::default();
            edit(&mut args);
            House::config(&args)
        };
        let book = args(|_| {}).unwrap();
        assert_eq!(book, HouseConfig::new());
        assert_eq!(
            (
                book.learner.lr,
                book.learner.batch_size,
                book.learner.epochs
            ),
            (5.0, 64, 100)
        );
        let better = args(|a| a.recipe = Some(HouseRecipe::Better)).unwrap();
        assert_eq!((better.learner.lr, better.l1), (0.003, 6e-4));
        let mlp = args(|a| {
            a.recipe = Some(HouseRecipe::Better);
            a.model = Some(HouseModel::Mlp);
            a.hidden = Some(64);
            a.weight_decay = Some(0.5);
        })
        .unwrap();
        assert_eq!((mlp.hidden, mlp.l1, mlp.weight_decay()), (64, 0.0, 0.5));
        let err = args(|a| a.dropout = Some(0.2)).unwrap_err().to_string();
        assert!(err.contains("--model mlp"), "{err}");
        let notes = args(|a| {
            a.loss = Some(HouseLoss::LogRmse);
            a.eval_mode = Some(EvalMode::Train);
        })
        .unwrap();
        assert_eq!(
            (notes.loss, notes.eval_mode),
            (HouseLoss::LogRmse, EvalMode::Train)
        );
        let err = args(|a| {
            a.recipe = Some(HouseRecipe::Better);
            a.loss = Some(HouseLoss::LogRmse);
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("--recipe book"), "{err}");
    }

    #[test]
    fn the_spread_over_folds_is_the_sample_standard_deviation() {
        let report = KFoldReport {
            folds: [(0.1, 0.2), (0.3, 0.2), (0.2, 0.5)]
                .map(|(train, valid)| FoldScore { train, valid })
                .to_vec(),
            seconds: 0.0,
        };
        // train 0.1, 0.3, 0.2: mean 0.2, squares 0.01 + 0.01 + 0 over n - 1 = 2: sd 0.1.
        assert!((report.train() - 0.2).abs() < 1e-12);
        assert!((report.train_sd() - 0.1).abs() < 1e-12);
        // valid 0.2, 0.2, 0.5: mean 0.3, squares 0.01 + 0.01 + 0.04 = 0.06 / 2: sd √0.03.
        assert!((report.valid_sd() - 0.03f64.sqrt()).abs() < 1e-12);
        let one = KFoldReport {
            folds: vec![FoldScore {
                train: 1.0,
                valid: 2.0,
            }],
            seconds: 0.0,
        };
        assert_eq!(one.valid_sd(), 0.0);
    }
}
