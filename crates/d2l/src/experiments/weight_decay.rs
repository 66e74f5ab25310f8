//! d2l 4.5, weight decay: a linear regression with 200 inputs and 20 training examples
//! overfits; an L2 penalty `λ‖w‖²/2` keeps `‖w‖` small. Trained twice per λ: with the penalty
//! written into the loss by hand (d2l's `l2_penalty`, hand-written SGD), and with the
//! optimizer's weight decay on the weight only, not the bias (PyTorch's parameter groups;
//! Burn's [`ModuleOptimizer::with_group`](burn::optim::ModuleOptimizer::with_group)).
//!
//! Both minimise the same objective, mean `(ŷ - y)²/2` plus `λ‖w‖²/2`, from the same
//! initialisation and batch order, so they agree up to rounding.

use burn::config::Config;
use burn::module::{Module, ParamGroup};
use burn::optim::SgdConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::tensor::{Device, Distribution, Tensor};
use d2l_learner::{
    EpochRecord, Learner, LearnerConfig, MeanLoss, RunDir, Scale, TensorDataset, Updater,
};
use d2l_models::{Init, LinearRegressionConfig, half_squared_error};
use serde::Serialize;
use std::collections::BTreeMap;

use super::{Context, Error, Outcome, io_error, last_epoch};

/// d2l 4.5's training loop: batch 5, lr 0.003, 100 epochs.
pub(crate) fn learner_config() -> LearnerConfig {
    LearnerConfig::new()
        .with_epochs(100)
        .with_batch_size(5)
        .with_lr(0.003)
}

/// d2l 4.5's synthetic data: `y = 0.05 + Σ 0.01 x_i + ε`, `x ~ N(0, I)`, `ε ~ N(0, 0.01²)`.
#[derive(Config, Debug)]
pub struct SyntheticConfig {
    /// Training examples.
    #[config(default = 20)]
    pub n_train: usize,
    /// Test examples.
    #[config(default = 100)]
    pub n_test: usize,
    /// Inputs per example.
    #[config(default = 200)]
    pub num_inputs: usize,
    /// Every true weight.
    #[config(default = 0.01)]
    pub true_w: f64,
    /// The true bias.
    #[config(default = 0.05)]
    pub true_b: f64,
    /// Standard deviation of the noise.
    #[config(default = 0.01)]
    pub noise: f64,
}

impl SyntheticConfig {
    /// `n` examples drawn on `device` (seed it first for reproducible data).
    ///
    /// # Shapes
    /// - features: `[n, num_inputs]`
    /// - targets: `[n, 1]`
    pub fn sample(&self, n: usize, device: &Device) -> TensorDataset<Tensor<2>> {
        let x = Tensor::<2>::random([n, self.num_inputs], Distribution::Normal(0.0, 1.0), device);
        let w = Tensor::<2>::full([self.num_inputs, 1], self.true_w, device);
        let noise = Tensor::<2>::random([n, 1], Distribution::Normal(0.0, self.noise), device);
        let y = x.clone().matmul(w) + noise + self.true_b;
        TensorDataset::new(x, y)
    }
}

/// How the L2 penalty is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PenaltyStyle {
    /// `λ‖w‖²/2` added to the loss by hand, hand-written SGD (d2l 4.5.2).
    Penalty,
    /// Burn SGD with weight decay λ on the weight's parameter group only (d2l 4.5.3).
    Optimizer,
}

impl PenaltyStyle {
    /// The name in result keys and file names.
    pub fn name(self) -> &'static str {
        match self {
            PenaltyStyle::Penalty => "penalty",
            PenaltyStyle::Optimizer => "optimizer",
        }
    }
}

/// The configuration of a weight-decay run, saved as `config.json`.
#[derive(Debug, Clone, Serialize)]
pub struct WeightDecayRunConfig {
    /// The experiment's name.
    pub experiment: String,
    /// The backend it ran on.
    pub backend: String,
    /// The synthetic data.
    pub data: SyntheticConfig,
    /// The λ values trained (book: 0 and 3).
    pub lambdas: Vec<f64>,
    /// Both styles are trained for each λ.
    pub styles: Vec<PenaltyStyle>,
    /// The weight initialisation: `w ~ N(0, 1)`, `b = 0`.
    pub init: Init,
    /// The training loop.
    pub learner: LearnerConfig,
}

/// One trained model's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightDecayResult {
    /// The L2 norm of the trained weight.
    pub w_norm: f64,
    /// The last epoch's record: train and test mean `(ŷ - y)²/2`, evaluated after the epoch.
    pub last: EpochRecord,
}

/// Trains the linear regression on `train` with penalty `lambda` applied in `style`,
/// evaluated on `test` after each epoch (the observer gets each epoch), and saves the trained
/// model as `<weights>.bpk` in `run_dir`.
pub fn train_one(
    style: PenaltyStyle,
    lambda: f64,
    config: &WeightDecayRunConfig,
    (train, test): (&TensorDataset<Tensor<2>>, &TensorDataset<Tensor<2>>),
    device: &Device,
    observer: &mut dyn d2l_learner::Observer,
    (run_dir, weights): (&RunDir, &str),
) -> Result<(WeightDecayResult, Vec<EpochRecord>), Error> {
    let ad = device.clone().autodiff();
    let model_config = LinearRegressionConfig::new(config.data.num_inputs).with_init(config.init);
    let metric = MeanLoss {
        loss: &half_squared_error,
        name: "squared_loss",
    };
    let learner = |updater| {
        Learner::new(
            config.learner.clone(),
            &half_squared_error,
            &metric,
            updater,
        )
        .evaluate_train(true)
        .progress(false)
    };
    let norm = |w: Tensor<2>| f64::from(w.square().sum().sqrt().into_scalar::<f32>());
    match style {
        PenaltyStyle::Penalty => {
            let model = model_config.init_scratch(lambda, &ad);
            let (model, history) =
                learner(Updater::Sgd)
                    .observer(observer)
                    .fit(model, train, Some(test))?;
            let model = model.valid();
            run_dir
                .save_weights(model.clone(), weights)
                .map_err(io_error(run_dir.path()))?;
            finish(norm(model.w.val()), history)
        }
        PenaltyStyle::Optimizer => {
            let model = model_config.init(&ad);
            let decay = SgdConfig::new()
                .with_weight_decay(Some(WeightDecayConfig::new(lambda as f32)))
                .build();
            let optimizer = SgdConfig::new().init().with_group(
                ParamGroup::from_ids(vec![model.linear.weight.id]),
                decay,
                None,
            );
            let (model, history) = learner(Updater::from(optimizer)).observer(observer).fit(
                model,
                train,
                Some(test),
            )?;
            let model = model.valid();
            run_dir
                .save_weights(model.clone(), weights)
                .map_err(io_error(run_dir.path()))?;
            finish(norm(model.linear.weight.val()), history)
        }
    }
}

fn finish(
    w_norm: f64,
    history: Vec<EpochRecord>,
) -> Result<(WeightDecayResult, Vec<EpochRecord>), Error> {
    let last = last_epoch(&history)?.clone();
    Ok((WeightDecayResult { w_norm, last }, history))
}

/// Runs d2l 4.5: both styles for each λ (0 and 3, or `--weight-decay`).
pub(crate) fn run(context: &Context<'_>) -> Result<Outcome, Error> {
    let options = context.options;
    let config = WeightDecayRunConfig {
        experiment: options.experiment.name().to_string(),
        backend: context.backend.name().to_string(),
        data: SyntheticConfig::new(),
        lambdas: options
            .overrides
            .weight_decay
            .map_or_else(|| vec![0.0, 3.0], |lambda| vec![lambda]),
        styles: vec![PenaltyStyle::Penalty, PenaltyStyle::Optimizer],
        init: Init::Normal { std: 1.0 },
        learner: options.learner_config(),
    };
    let run_dir = context.run_dir;
    run_dir
        .save_config(&config)
        .map_err(io_error(run_dir.path()))?;
    let device = &context.device;
    device.seed(config.learner.seed);
    let train = config.data.sample(config.data.n_train, device);
    let test = config.data.sample(config.data.n_test, device);
    let mut results = BTreeMap::new();
    let mut epochs = 0;
    for &lambda in &config.lambdas {
        for &style in &config.styles {
            // The same initial weights for every run.
            device.seed(config.learner.seed + 1);
            let key = format!("{}_{lambda}", style.name());
            let prefix = format!("{}-lambda-{lambda}-", style.name());
            let mut log = run_dir
                .epoch_log(&prefix, "squared_loss", Scale::Log)
                .map_err(io_error(run_dir.path()))?;
            let (result, _) = train_one(
                style,
                lambda,
                &config,
                (&train, &test),
                device,
                &mut log,
                (run_dir, &format!("{prefix}model")),
            )?;
            epochs = result.last.epoch;
            if options.progress {
                eprintln!(
                    "{:<9} λ = {lambda}: ‖w‖ = {:.4}, train loss {:.3e}, test loss {:.3e}",
                    style.name(),
                    result.w_norm,
                    result.last.train_metric,
                    result.last.test_metric.unwrap_or(f64::NAN)
                );
            }
            results.insert(format!("w_norm_{key}"), result.w_norm);
            results.insert(format!("train_loss_{key}"), result.last.train_metric);
            results.insert(
                format!("test_loss_{key}"),
                result.last.test_metric.unwrap_or(f64::NAN),
            );
        }
    }
    Ok(Outcome { epochs, results })
}
