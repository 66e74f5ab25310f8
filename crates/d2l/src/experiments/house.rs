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

use burn::module::Param;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use d2l_data::kaggle_house::{Frame, ID, TARGET};
use d2l_data::{DataError, KaggleHouse, PreprocessOptions, Preprocessor};
use d2l_learner::{
    EpochRecord, Learner, LearnerConfig, LogRmse, LogTargetRmse, Loss, Metric, Model, Observer,
    RunDir, Scale, TensorDataset, TrainError,
};
use d2l_models::{Init, LinearRegressionConfig, MlpConfig, half_squared_error, squared_error};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use super::{Context, Error, Outcome, io_error, last_epoch};

/// d2l 4.10's loop: Adam lr 5, batch 64, 100 epochs.
pub(crate) fn learner_config() -> LearnerConfig {
    LearnerConfig::new()
        .with_epochs(100)
        .with_batch_size(64)
        .with_lr(5.0)
}

/// The model of a house run (`--model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HouseModel {
    /// d2l's `nn.Linear(330, 1)`.
    Linear,
    /// One hidden layer of ReLU units with dropout after it.
    Mlp,
}

/// The recipe of a house run (`--recipe`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HouseRecipe {
    /// d2l's: raw prices, MSE, the book's preprocessing.
    Book,
    /// Log prices, log-transformed skewed features, clipping, an L1 penalty (module docs).
    Better,
}

macro_rules! named_enum {
    ($t:ty, $what:literal, $($variant:path => $name:literal),+) => {
        impl $t {
            /// The name on the command line.
            pub fn name(self) -> &'static str {
                match self { $($variant => $name),+ }
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
        impl FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                match s {
                    $($name => Ok($variant),)+
                    _ => Err(Error::Option(format!(
                        concat!("unknown ", $what, " '{}'; expected one of: {}"),
                        s,
                        [$($name),+].join(", ")
                    ))),
                }
            }
        }
    };
}

named_enum!(HouseModel, "model", HouseModel::Linear => "linear", HouseModel::Mlp => "mlp");
named_enum!(HouseRecipe, "recipe", HouseRecipe::Book => "book", HouseRecipe::Better => "better");

/// The configuration of a house run, saved as `config.json`.
#[derive(Debug, Clone, Serialize)]
pub struct HouseConfig {
    /// The experiment's name.
    pub experiment: String,
    /// The backend it ran on.
    pub backend: String,
    /// The recipe.
    pub recipe: HouseRecipe,
    /// The model.
    pub model: HouseModel,
    /// Folds of the cross-validation.
    pub k: usize,
    /// Hidden units of the MLP.
    pub hidden: usize,
    /// Dropout probability after the MLP's hidden layer.
    pub dropout: f64,
    /// Adam's weight decay (an L2 term on every parameter's gradient, PyTorch's
    /// `weight_decay`).
    pub weight_decay: f64,
    /// The L1 penalty of the better recipe's lasso (linear model only).
    pub l1: f64,
    /// Changes to d2l's preprocessing.
    pub preprocess: PreprocessOptions,
    /// The training loop.
    pub learner: LearnerConfig,
}

impl HouseConfig {
    /// The configuration of a run with `options`: the recipe's defaults, then the overrides.
    pub fn new(options: &super::RunOptions, backend: &str) -> Self {
        let o = &options.overrides;
        let recipe = o.recipe.unwrap_or(HouseRecipe::Book);
        let (preprocess, l1, defaults) = match recipe {
            HouseRecipe::Book => (PreprocessOptions::default(), 0.0, learner_config()),
            HouseRecipe::Better => (
                PreprocessOptions {
                    log1p_skewed: Some(0.75),
                    clip: Some(3.0),
                },
                6e-4,
                learner_config()
                    .with_lr(0.003)
                    .with_batch_size(256)
                    .with_epochs(400),
            ),
        };
        let model = o.model.unwrap_or(HouseModel::Linear);
        Self {
            experiment: options.experiment.name().to_string(),
            backend: backend.to_string(),
            recipe,
            model,
            k: o.k.unwrap_or(5),
            hidden: o.hidden.unwrap_or(256),
            dropout: o.dropout.unwrap_or(0.1),
            weight_decay: o.weight_decay.unwrap_or(0.0),
            // The lasso penalty belongs to the linear model.
            l1: if model == HouseModel::Linear { l1 } else { 0.0 },
            preprocess,
            learner: o.apply(defaults),
        }
    }

    fn log_target(&self) -> bool {
        self.recipe == HouseRecipe::Better
    }
}

/// d2l's `get_k_fold_data`: fold `i` of `k` over `n` rows validates on the contiguous rows
/// `i * n/k .. (i+1) * n/k` and trains on the other folds (rows past `k * (n/k)` are used by
/// none). Returns (training rows, validation rows).
///
/// # Panics
/// If `i >= k` or `k > n`.
pub fn k_fold_rows(n: usize, k: usize, i: usize) -> (Vec<usize>, Vec<usize>) {
    assert!(i < k && k <= n, "fold {i} of {k} over {n} rows");
    let size = n / k;
    let valid = (i * size..(i + 1) * size).collect();
    let train = (0..k * size)
        .filter(|row| !(i * size..(i + 1) * size).contains(row))
        .collect();
    (train, valid)
}

/// Features and targets on the host, row-major.
struct Table {
    features: Vec<f32>,
    width: usize,
    targets: Vec<f32>,
}

impl Table {
    fn dataset(&self, rows: &[usize], device: &Device) -> TensorDataset<Tensor<2>> {
        let mut x = Vec::with_capacity(rows.len() * self.width);
        for &row in rows {
            x.extend_from_slice(&self.features[row * self.width..(row + 1) * self.width]);
        }
        let y: Vec<f32> = rows.iter().map(|&row| self.targets[row]).collect();
        TensorDataset::new(
            Tensor::from_data(TensorData::new(x, [rows.len(), self.width]), device),
            Tensor::from_data(TensorData::new(y, [rows.len(), 1]), device),
        )
    }
}

/// Trains and evaluates house models with one configuration.
struct Trainer<'a> {
    config: &'a HouseConfig,
    device: &'a Device,
    width: usize,
    mean_target: f64,
    progress: bool,
}

impl Trainer<'_> {
    /// Trains a fresh model on `train`, evaluating on `valid` after each epoch; returns the
    /// predictions for `predict` (prices, clamped to at least 1) and the history.
    fn fit(
        &self,
        train: &TensorDataset<Tensor<2>>,
        valid: Option<&TensorDataset<Tensor<2>>>,
        observer: &mut dyn Observer,
        predict: Option<Tensor<2>>,
    ) -> Result<(Option<Vec<f64>>, Vec<EpochRecord>), Error> {
        let ad = self.device.clone().autodiff();
        let config = self.config;
        match (config.model, config.recipe) {
            (HouseModel::Linear, HouseRecipe::Book) => {
                let model = LinearRegressionConfig::new(self.width)
                    .with_init(Init::Torch)
                    .init(&ad);
                self.fit_model(model, train, valid, observer, predict)
            }
            (HouseModel::Linear, HouseRecipe::Better) => {
                let mut model = LinearRegressionConfig::new(self.width)
                    .with_init(Init::Torch)
                    .init_scratch(0.0, &ad);
                model.l1 = config.l1;
                model.b = Param::from_tensor(Tensor::full([1], self.mean_target, &ad));
                self.fit_model(model, train, valid, observer, predict)
            }
            (HouseModel::Mlp, _) => {
                let mut model = MlpConfig::new()
                    .with_num_inputs(self.width)
                    .with_hidden(vec![config.hidden])
                    .with_num_outputs(1)
                    .with_dropout(vec![config.dropout])
                    .with_init(Init::Torch)
                    .init(&ad);
                if config.log_target() {
                    let last = model.layers.last_mut().expect("an output layer");
                    last.bias = Some(Param::from_tensor(Tensor::full([1], self.mean_target, &ad)));
                }
                self.fit_model(model, train, valid, observer, predict)
            }
        }
    }

    fn fit_model<M: Model>(
        &self,
        model: M,
        train: &TensorDataset<Tensor<2>>,
        valid: Option<&TensorDataset<Tensor<2>>>,
        observer: &mut dyn Observer,
        predict: Option<Tensor<2>>,
    ) -> Result<(Option<Vec<f64>>, Vec<EpochRecord>), Error> {
        let config = self.config;
        let (loss, metric): (&dyn Loss<Tensor<2>>, &dyn Metric<Tensor<2>>) = if config.log_target()
        {
            (&half_squared_error, &LogTargetRmse)
        } else {
            (&squared_error, &LogRmse)
        };
        let adam = AdamConfig::new().with_epsilon(1e-8).with_weight_decay(
            (config.weight_decay > 0.0).then(|| WeightDecayConfig::new(config.weight_decay as f32)),
        );
        let optimizer: ModuleOptimizer = adam.init();
        let (model, history) = Learner::new(config.learner.clone(), loss, metric, optimizer.into())
            .evaluate_train(true)
            .progress(self.progress)
            .observer(observer)
            .fit(model, train, valid)?;
        let predictions = predict
            .map(|x| {
                let y = model.valid().forward(x);
                let prices = if config.log_target() { y.exp() } else { y };
                prices
                    .clamp_min(1.0)
                    .try_to_vec_as::<f32>()
                    .map(|v| v.into_iter().map(f64::from).collect())
                    .map_err(|e| Error::Train(TrainError::Device(format!("{e:?}"))))
            })
            .transpose()?;
        Ok((predictions, history))
    }
}

/// `Id,SalePrice` rows for `frame` (the test file) and its predicted prices.
///
/// # Errors
/// When a price is not finite, or an id is missing.
pub fn submission_csv(frame: &Frame, prices: &[f64]) -> Result<String, Error> {
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
pub struct HouseData {
    /// The fitted preprocessing.
    pub preprocessor: Preprocessor,
    table: Table,
    test_features: Vec<f32>,
    mean_target: f64,
}

impl HouseData {
    /// Preprocesses `data` as `config`'s recipe says.
    ///
    /// # Errors
    /// When a `SalePrice` is missing or not positive (naming the file and line).
    pub fn prepare(config: &HouseConfig, data: &KaggleHouse) -> Result<Self, Error> {
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
            table: Table {
                features: preprocessor.transform(&data.train)?,
                width: preprocessor.num_features(),
                targets,
            },
            test_features: preprocessor.transform(&data.test)?,
            preprocessor,
            mean_target,
        })
    }

    /// Number of training rows.
    pub fn len(&self) -> usize {
        self.table.targets.len()
    }

    /// Whether there is no training row.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn trainer<'a>(
        &self,
        config: &'a HouseConfig,
        device: &'a Device,
        progress: bool,
    ) -> Trainer<'a> {
        Trainer {
            config,
            device,
            width: self.table.width,
            mean_target: self.mean_target,
            progress,
        }
    }

    /// d2l's `k_fold`: a fresh model per fold, trained on the other folds and validated on
    /// this one. With a run folder, each fold's metrics and curves go to `fold-<i>-*`.
    pub fn k_fold(
        &self,
        config: &HouseConfig,
        device: &Device,
        run_dir: Option<&RunDir>,
        progress: bool,
    ) -> Result<KFoldReport, Error> {
        let n = self.len();
        if config.k > n {
            return Err(Error::Option(format!(
                "--k {} exceeds the {n} rows",
                config.k
            )));
        }
        let trainer = self.trainer(config, device, progress);
        let mut folds = Vec::with_capacity(config.k);
        for i in 0..config.k {
            let (train_rows, valid_rows) = k_fold_rows(n, config.k, i);
            let train = self.table.dataset(&train_rows, device);
            let valid = self.table.dataset(&valid_rows, device);
            let mut log: Box<dyn Observer> = match run_dir {
                Some(dir) => Box::new(
                    dir.epoch_log(&format!("fold-{}-", i + 1), "log_rmse", Scale::Log)
                        .map_err(io_error(dir.path()))?,
                ),
                None => Box::new(Silent),
            };
            let (_, history) = trainer.fit(&train, Some(&valid), log.as_mut(), None)?;
            let last = last_epoch(&history)?;
            let fold = (last.train_metric, last.test_metric.unwrap_or(f64::NAN));
            if progress {
                eprintln!(
                    "fold {}: train log rmse {:.6}, valid log rmse {:.6}",
                    i + 1,
                    fold.0,
                    fold.1
                );
            }
            folds.push(fold);
        }
        Ok(KFoldReport { folds })
    }

    /// Trains the final model on every training row (metrics and curves to `metrics.csv` and
    /// `curves.svg` of `run_dir`) and predicts the test prices.
    pub fn final_model(
        &self,
        config: &HouseConfig,
        device: &Device,
        run_dir: &RunDir,
        progress: bool,
    ) -> Result<(Vec<f64>, EpochRecord), Error> {
        let all: Vec<usize> = (0..self.len()).collect();
        let train = self.table.dataset(&all, device);
        let rows = self.test_features.len() / self.table.width.max(1);
        let test = Tensor::from_data(
            TensorData::new(self.test_features.clone(), [rows, self.table.width]),
            device,
        );
        let mut log = run_dir
            .epoch_log("", "log_rmse", Scale::Log)
            .map_err(io_error(run_dir.path()))?;
        let (predictions, history) =
            self.trainer(config, device, progress)
                .fit(&train, None, &mut log, Some(test))?;
        let last = last_epoch(&history)?.clone();
        Ok((predictions.expect("predictions were asked for"), last))
    }
}

/// An observer that keeps nothing.
struct Silent;

impl Observer for Silent {
    fn on_epoch(&mut self, _: &EpochRecord) -> Result<(), TrainError> {
        Ok(())
    }
}

/// The scores of a K-fold cross-validation.
#[derive(Debug, Clone, PartialEq)]
pub struct KFoldReport {
    /// `(train, valid)` log-RMSE of each fold after its last epoch.
    pub folds: Vec<(f64, f64)>,
}

impl KFoldReport {
    /// The average training log-RMSE over the folds.
    pub fn train(&self) -> f64 {
        self.folds.iter().map(|f| f.0).sum::<f64>() / self.folds.len() as f64
    }

    /// The average validation log-RMSE over the folds.
    pub fn valid(&self) -> f64 {
        self.folds.iter().map(|f| f.1).sum::<f64>() / self.folds.len() as f64
    }
}

/// Runs d2l 4.10: K-fold cross-validation, then the final model and its submission.
pub(crate) fn run(context: &Context<'_>) -> Result<Outcome, Error> {
    let options = context.options;
    let config = HouseConfig::new(options, context.backend.name());
    let run_dir = context.run_dir;
    run_dir
        .save_config(&config)
        .map_err(io_error(run_dir.path()))?;
    let data = KaggleHouse::load(&options.data_dir())?;
    let prepared = HouseData::prepare(&config, &data)?;
    run_dir
        .write_file(
            "preprocessor.json",
            serde_json::to_string_pretty(&prepared.preprocessor)
                .expect("a preprocessor serialises")
                .as_bytes(),
        )
        .map_err(io_error(run_dir.path()))?;
    let device = &context.device;
    device.seed(config.learner.seed);
    let report = prepared.k_fold(&config, device, Some(run_dir), options.progress)?;
    let mut results = BTreeMap::new();
    for (i, (train, valid)) in report.folds.iter().enumerate() {
        results.insert(format!("fold_{}_train_log_rmse", i + 1), *train);
        results.insert(format!("fold_{}_valid_log_rmse", i + 1), *valid);
    }
    results.insert("train_log_rmse".to_string(), report.train());
    results.insert("valid_log_rmse".to_string(), report.valid());
    if options.progress {
        eprintln!(
            "{}-fold validation: avg train log rmse {:.6}, avg valid log rmse {:.6}",
            config.k,
            report.train(),
            report.valid()
        );
    }
    let (predictions, last) = prepared.final_model(&config, device, run_dir, options.progress)?;
    results.insert("final_train_log_rmse".to_string(), last.train_metric);
    run_dir
        .write_file(
            "submission.csv",
            submission_csv(&data.test, &predictions)?.as_bytes(),
        )
        .map_err(io_error(run_dir.path()))?;
    Ok(Outcome {
        epochs: last.epoch,
        results,
    })
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
        let options = super::super::RunOptions::new(super::super::Experiment::House);
        let config = HouseConfig::new(&options, "flex");
        let err = HouseData::prepare(&config, &KaggleHouse { train, test })
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("somewhere/train.csv") && err.contains('2') && err.contains("SalePrice"),
            "{err}"
        );
    }

    #[test]
    fn names_parse_and_unknown_ones_list_the_choices() {
        assert_eq!("mlp".parse::<HouseModel>().unwrap(), HouseModel::Mlp);
        assert_eq!(
            "better".parse::<HouseRecipe>().unwrap(),
            HouseRecipe::Better
        );
        let message = "ridge".parse::<HouseModel>().unwrap_err().to_string();
        assert!(message.contains("linear, mlp"), "{message}");
    }
}
