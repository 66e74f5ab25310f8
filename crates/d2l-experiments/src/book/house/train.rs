//! Training house models: the folds' rows, the model a config chooses, the Learner's settings,
//! and the trained model loaded back.

use burn::module::Param;
use burn::tensor::{Device, Tensor};
use d2l_data::{Preprocessor, TensorDataset};
use d2l_learner::run::files;
use d2l_learner::{EpochRecord, Learner, Loss, Model, RunDir, Scale};
use d2l_models::{
    Init, LinearLayers, LinearRegressionConfig, MlpConfig, half_squared_error, log_rmse_loss,
    squared_error,
};

use super::config::{EvalMode, HouseConfig, HouseLoss, HouseModel, HouseRecipe};
use crate::Error;
use crate::book::{Load, Network, WithNetwork};
use crate::experiment::Run;

// ANCHOR: k_fold_rows
/// d2l's `get_k_fold_data`: fold `i` of `k` over `n` rows validates on the contiguous rows
/// `i * n/k .. (i+1) * n/k` and trains on the other folds (rows past `k * (n/k)` are used by
/// none). Returns (training rows, validation rows).
///
/// # Panics
/// If `i >= k` or `k > n`.
pub(super) fn k_fold_rows(n: usize, k: usize, i: usize) -> (Vec<usize>, Vec<usize>) {
    assert!(i < k && k <= n, "fold {i} of {k} over {n} rows");
    let size = n / k;
    let valid = (i * size..(i + 1) * size).collect();
    let train = (0..k * size)
        .filter(|row| !(i * size..(i + 1) * size).contains(row))
        .collect();
    (train, valid)
}
// ANCHOR_END: k_fold_rows

/// Trains house models with one configuration.
pub(super) struct Trainer<'a> {
    pub(super) config: &'a HouseConfig,
    pub(super) device: &'a Device,
    pub(super) width: usize,
    pub(super) mean_target: f64,
    pub(super) progress: bool,
    pub(super) wait_each_step: bool,
    pub(super) data_parallel: Vec<Device>,
}

/// A trained model's history and, when asked for, its predicted prices.
pub(super) type Fitted = (Vec<EpochRecord>, Option<Vec<f64>>);

impl Trainer<'_> {
    /// Trains a fresh model on `train` into `run_dir` under `prefix`, evaluating on `valid`
    /// after each epoch, and predicts prices (clamped to at least 1) for `predict`.
    pub(super) fn fit(
        &self,
        (run_dir, prefix): (&RunDir, &str),
        train: &TensorDataset<Tensor<2>>,
        valid: Option<&TensorDataset<Tensor<2>>>,
        predict: Option<Tensor<2>>,
    ) -> Result<Fitted, Error> {
        let ad = self.device.clone().autodiff();
        let fit = FitArgs {
            run_dir,
            prefix,
            train,
            valid,
            predict,
        };
        let then = FitModel { trainer: self, fit };
        build(self.config, self.width, self.mean_target, &ad, then)
    }

    fn fit_model<M: Model>(&self, model: M, fit: FitArgs<'_>) -> Result<Fitted, Error> {
        let config = self.config;
        let metric = config.metric();
        let (model, history) = Learner::new(
            config.learner.clone(),
            loss(config),
            metric,
            config.optimizer.init(),
        )
        .evaluate_train(true)
        .evaluate_in_training_mode(config.eval_mode == EvalMode::Train)
        .progress(self.progress)
        .wait_each_step(self.wait_each_step)
        .data_parallel(self.data_parallel.clone())
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

/// The loss a house config trains with.
pub(super) fn loss(config: &HouseConfig) -> &'static dyn Loss<Tensor<2>> {
    match (config.log_target(), config.loss) {
        (true, _) => &half_squared_error,
        (false, HouseLoss::Mse) => &squared_error,
        (false, HouseLoss::LogRmse) => &log_rmse_loss,
    }
}

/// The preprocessor a run saved (`preprocessor.json`).
pub(super) fn load_preprocessor(run: &Run<'_>) -> Result<Preprocessor, Error> {
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
pub(super) fn prices(config: &HouseConfig, outputs: Tensor<2>) -> Result<Vec<f64>, Error> {
    let prices = if config.log_target() {
        outputs.exp()
    } else {
        outputs
    };
    let prices = prices.clamp_min(1.0).try_to_vec_as::<f32>()?;
    Ok(prices.into_iter().map(f64::from).collect())
}

/// The weight of the lasso's L1 penalty on a linear model's weights (0 for none): the better
/// recipe's.
pub(super) fn lasso(config: &HouseConfig) -> f64 {
    match (config.model, config.recipe) {
        (HouseModel::Linear, HouseRecipe::Better) => config.l1,
        _ => 0.0,
    }
}

/// The model of a house run, new on `device` and set up as its recipe says (the lasso's
/// penalty; the output bias at `mean_target` where the model predicts log prices), handed to
/// `then`: the one place where a house config becomes a model type.
pub(super) fn build<W: WithNetwork>(
    config: &HouseConfig,
    width: usize,
    mean_target: f64,
    device: &Device,
    then: W,
) -> W::Output {
    match (config.model, config.recipe) {
        (HouseModel::Linear, HouseRecipe::Book) => then.with(linear_config(width).init(device)),
        (HouseModel::Linear, HouseRecipe::Better) => {
            let mut model = linear_config(width).init_scratch(0.0, device);
            model.l1 = lasso(config);
            model.b = Param::from_tensor(Tensor::full([1], mean_target, device));
            then.with(model)
        }
        (HouseModel::Mlp, _) => {
            let mut model = mlp_config(config, width).init(device);
            if config.log_target() {
                let last = model.layers.last_mut().expect("an output layer");
                last.bias = Some(Param::from_tensor(Tensor::full([1], mean_target, device)));
            }
            then.with(model)
        }
    }
}

/// The final model of the house run in `run.dir` (`model.bpk`), on a device without autodiff;
/// its outputs are prices, or log prices in the better recipe.
pub(super) fn load_final(
    config: &HouseConfig,
    width: usize,
    run: &Run<'_>,
) -> Result<Box<dyn Network>, Error> {
    let path = run.dir.weights_path("");
    build(config, width, 0.0, run.device, Load(&path))
}

/// A fit of [`Trainer::fit`], for the model [`build`] makes.
struct FitModel<'a> {
    trainer: &'a Trainer<'a>,
    fit: FitArgs<'a>,
}

impl WithNetwork for FitModel<'_> {
    type Output = Result<Fitted, Error>;

    fn with<M: Model + LinearLayers + 'static>(self, model: M) -> Self::Output {
        self.trainer.fit_model(model, self.fit)
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
