//! d2l 4.5, weight decay: a linear regression with 200 inputs and 20 training examples
//! overfits; an L2 penalty `λ‖w‖²/2` keeps `‖w‖` small. Trained twice per λ: with the penalty
//! written into the loss by hand (d2l's `l2_penalty`, hand-written SGD), and with the
//! optimizer's weight decay on the weight only, not the bias (PyTorch's parameter groups;
//! Burn's [`ModuleOptimizer::with_group`](burn::optim::ModuleOptimizer::with_group)).
//!
//! Both minimise the same objective, mean `(ŷ - y)²/2` plus `λ‖w‖²/2`, from the same
//! initialisation and batch order, so they agree up to rounding.

use burn::config::Config;
use burn::module::ParamGroup;
use burn::optim::SgdConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::tensor::{Device, Distribution, Tensor};
use clap::Args;
use d2l_data::TensorDataset;
use d2l_learner::{EpochRecord, Learner, LearnerConfig, MeanLoss, Model, Scale, Updater};
use d2l_models::{Init, LinearRegression, LinearRegressionConfig, half_squared_error};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use crate::args::non_negative_number;
use crate::experiment::{Experiment, Run};
use crate::{Error, LearnerArgs};

// ANCHOR: SyntheticConfig
/// d2l 4.5's synthetic data: `y = 0.05 + Σ 0.01 x_i + ε`, `x ~ N(0, I)`, `ε ~ N(0, 0.01²)`.
#[derive(Config, Debug, PartialEq)]
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
// ANCHOR_END: SyntheticConfig

/// How the L2 penalty is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// The configuration of a weight-decay run (`config.json`).
#[derive(Config, Debug, PartialEq)]
pub struct WeightDecayRunConfig {
    /// The synthetic data.
    #[config(default = "SyntheticConfig::new()")]
    pub data: SyntheticConfig,
    /// The model: `Linear(200, 1)`, `w ~ N(0, 1)`, `b = 0`.
    #[config(default = "LinearRegressionConfig::new(200).with_init(Init::Normal { std: 1.0 })")]
    pub model: LinearRegressionConfig,
    /// The λ values trained (book: 0 and 3).
    #[config(default = "vec![0.0, 3.0]")]
    pub lambdas: Vec<f64>,
    /// The styles trained for each λ; the penalty style updates by hand (d2l's `sgd`), the
    /// optimizer style with Burn's SGD and weight decay λ on the weight's group.
    #[config(default = "vec![PenaltyStyle::Penalty, PenaltyStyle::Optimizer]")]
    pub styles: Vec<PenaltyStyle>,
    /// The training loop: batch 5, lr 0.003, 100 epochs.
    #[config(default = "LearnerConfig::new().with_epochs(100).with_batch_size(5).with_lr(0.003)")]
    pub learner: LearnerConfig,
}

/// The options of `weight-decay`.
#[derive(Args, Debug, Clone, Default, PartialEq)]
pub struct WeightDecayArgs {
    /// The training loop.
    #[command(flatten)]
    pub learner: LearnerArgs,
    /// Train only this λ.
    #[arg(long = "weight-decay", allow_negative_numbers = true, value_parser = non_negative_number)]
    pub lambda: Option<f64>,
}

/// One trained model's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyRun {
    /// How λ was applied.
    pub style: PenaltyStyle,
    /// The penalty's weight.
    pub lambda: f64,
    /// The L2 norm of the trained weight.
    pub w_norm: f64,
    /// Mean `(ŷ - y)²/2` over the training set after the last epoch.
    pub train_loss: f64,
    /// The same over the test set.
    pub test_loss: f64,
}

/// What a weight-decay run reports: one [`PenaltyRun`] per style and λ. In JSON, flat keys
/// `w_norm_<style>_<λ>`, `train_loss_<style>_<λ>`, `test_loss_<style>_<λ>`
/// (`w_norm_penalty_3`).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightDecayResults {
    /// In the order trained: λ by λ, both styles each.
    pub runs: Vec<PenaltyRun>,
}

impl WeightDecayResults {
    /// The run of `style` at `lambda`.
    pub fn get(&self, style: PenaltyStyle, lambda: f64) -> Option<&PenaltyRun> {
        self.runs
            .iter()
            .find(|run| run.style == style && run.lambda == lambda)
    }
}

impl Serialize for WeightDecayResults {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3 * self.runs.len()))?;
        for run in &self.runs {
            let key = format!("{}_{}", run.style.name(), run.lambda);
            map.serialize_entry(&format!("w_norm_{key}"), &run.w_norm)?;
            map.serialize_entry(&format!("train_loss_{key}"), &run.train_loss)?;
            map.serialize_entry(&format!("test_loss_{key}"), &run.test_loss)?;
        }
        map.end()
    }
}

/// d2l 4.5: weight decay, by hand and by the optimizer.
pub struct WeightDecay;

impl Experiment for WeightDecay {
    const NAME: &'static str = "weight-decay";
    const SECTION: &'static str = "d2l 4.5 weight decay, by hand and by the optimizer";
    type Args = WeightDecayArgs;
    type Config = WeightDecayRunConfig;
    type Results = WeightDecayResults;

    fn config(args: &WeightDecayArgs) -> Result<WeightDecayRunConfig, Error> {
        let mut config = WeightDecayRunConfig::new();
        if let Some(lambda) = args.lambda {
            config.lambdas = vec![lambda];
        }
        config.learner = args.learner.apply(config.learner);
        Ok(config)
    }

    fn learner(config: &WeightDecayRunConfig) -> &LearnerConfig {
        &config.learner
    }

    fn learner_mut(config: &mut WeightDecayRunConfig) -> &mut LearnerConfig {
        &mut config.learner
    }

    const HEADLINE: &'static str = "w_norm_penalty_3";

    fn shown_defaults(config: &WeightDecayRunConfig) -> Vec<(&'static str, String)> {
        let lambdas: Vec<String> = config.lambdas.iter().map(f64::to_string).collect();
        vec![("lambda", format!("{} each", lambdas.join(" and ")))]
    }

    fn run(config: &WeightDecayRunConfig, run: &Run<'_>) -> Result<WeightDecayResults, Error> {
        let device = run.device;
        let train = config.data.sample(config.data.n_train, device);
        let test = config.data.sample(config.data.n_test, device);
        let mut runs = Vec::new();
        for &lambda in &config.lambdas {
            for &style in &config.styles {
                // The same initial weights for every model.
                d2l_learner::seed_run(device, config.learner.seed + 1);
                let result = train_one(style, lambda, config, (&train, &test), run)?;
                if run.progress {
                    eprintln!(
                        "{:<9} λ = {lambda}: ‖w‖ = {:.4}, train loss {:.3e}, test loss {:.3e}",
                        style.name(),
                        result.w_norm,
                        result.train_loss,
                        result.test_loss,
                    );
                }
                runs.push(result);
            }
        }
        Ok(WeightDecayResults { runs })
    }
}

/// One training run of [`train_one`]: the loop, where it writes, and the data.
struct Fit<'a> {
    config: &'a WeightDecayRunConfig,
    prefix: String,
    data: (&'a TensorDataset<Tensor<2>>, &'a TensorDataset<Tensor<2>>),
    run: &'a Run<'a>,
}

impl Fit<'_> {
    /// Trains `model` with `updater` into the run folder under the prefix, measuring the mean
    /// `(ŷ - y)²/2` on both splits after each epoch.
    fn fit<M: Model>(&self, model: M, updater: Updater) -> Result<(M, Vec<EpochRecord>), Error> {
        let metric = MeanLoss {
            loss: &half_squared_error,
            name: "squared_loss",
        };
        let (train, test) = self.data;
        Ok(Learner::new(
            self.config.learner.clone(),
            &half_squared_error,
            &metric,
            updater,
        )
        .evaluate_train(true)
        .progress(false)
        .wait_each_step(self.run.wait_each_step)
        .data_parallel(self.run.data_parallel.clone())
        .fit_into(
            self.run.dir,
            &self.prefix,
            Scale::Log,
            model,
            train,
            Some(test),
        )?)
    }
}

// ANCHOR: decay_on_weight
/// d2l 4.5.4's optimizer: SGD with weight decay `lambda` on `model`'s weight only, the bias
/// in a group without it (PyTorch's `SGD([{"params": net[0].weight, "weight_decay": wd},
/// {"params": net[0].bias}])`).
///
/// The book's concise version trains it on `nn.MSELoss`, `(ŷ - y)²`; this experiment trains
/// both styles on d2l's `squared_loss`, `(ŷ - y)² / 2`, so that they minimise the same
/// objective and their weight norms can be compared (with `nn.MSELoss` the data term's
/// gradient is twice as large: the same as twice the learning rate with half of λ). The
/// parity tests check this updater against PyTorch on the book's own loss.
pub fn decay_on_weight(model: &LinearRegression, lambda: f64) -> Updater {
    let decay = SgdConfig::new()
        .with_weight_decay(Some(WeightDecayConfig::new(lambda as f32)))
        .build();
    let optimizer = SgdConfig::new().init().with_group(
        ParamGroup::from_ids(vec![model.linear.weight.id]),
        decay,
        None,
    );
    Updater::from(optimizer)
}
// ANCHOR_END: decay_on_weight

/// Trains the linear regression on `train` with penalty `lambda` applied in `style`,
/// evaluated on `test` after each epoch, into `run.dir` as `<style>-lambda-<λ>-*`.
fn train_one(
    style: PenaltyStyle,
    lambda: f64,
    config: &WeightDecayRunConfig,
    (train, test): (&TensorDataset<Tensor<2>>, &TensorDataset<Tensor<2>>),
    run: &Run<'_>,
) -> Result<PenaltyRun, Error> {
    let ad = run.device.clone().autodiff();
    let fit = Fit {
        config,
        prefix: format!("{}-lambda-{lambda}-", style.name()),
        data: (train, test),
        run,
    };
    let (w, history) = match style {
        PenaltyStyle::Penalty => {
            let model = config.model.init_scratch(lambda, &ad);
            let (model, history) = fit.fit(model, Updater::Sgd)?;
            (model.w.val(), history)
        }
        PenaltyStyle::Optimizer => {
            let model = config.model.init(&ad);
            let updater = decay_on_weight(&model, lambda);
            let (model, history) = fit.fit(model, updater)?;
            (model.linear.weight.val(), history)
        }
    };
    let w_norm = f64::from(w.square().sum().sqrt().try_into_scalar::<f32>()?);
    let last = history.last().expect("at least one epoch");
    Ok(PenaltyRun {
        style,
        lambda,
        w_norm,
        train_loss: last.train_metric,
        test_loss: last.test_metric.unwrap_or(f64::NAN),
    })
}
