//! The experiments, each reproducing a section of the book, and the run that trains one of
//! them into a run folder.

use burn::config::Config;
use burn::optim::SgdConfig;
use burn::tensor::{Device, Int, Tensor};
use d2l_data::{DataError, FashionMnist, IMAGE_PIXELS, Split};
use d2l_learner::{
    Accuracy, Learner, LearnerConfig, Loss, Model, RunDir, TensorDataset, TrainError, Updater,
};
use d2l_models::{SoftmaxConfig, cross_entropy, softmax_cross_entropy};
use serde::Serialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use crate::backend::{Backend, BackendError};

/// An experiment that `d2l-train` (and `cargo xtask train`) can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Experiment {
    /// d2l 3.6: softmax regression from scratch on Fashion-MNIST.
    SoftmaxScratch,
    /// d2l 3.7: concise softmax regression on Fashion-MNIST.
    Softmax,
}

impl Experiment {
    /// Every experiment, in the order of the book.
    pub const ALL: [Experiment; 2] = [Experiment::SoftmaxScratch, Experiment::Softmax];

    /// What `cargo xtask train` runs when no experiment is named.
    pub const DEFAULT: Experiment = Experiment::Softmax;

    /// The name on the command line and in run folders.
    pub fn name(self) -> &'static str {
        match self {
            Experiment::SoftmaxScratch => "softmax-scratch",
            Experiment::Softmax => "softmax",
        }
    }

    /// The section of d2l.ai it reproduces.
    pub fn section(self) -> &'static str {
        match self {
            Experiment::SoftmaxScratch => "d2l 3.6 softmax regression from scratch",
            Experiment::Softmax => "d2l 3.7 concise softmax regression",
        }
    }
}

impl fmt::Display for Experiment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Experiment {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Experiment::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| Error::UnknownExperiment(s.to_string()))
    }
}

/// Values that replace the book's defaults for one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    /// Passes over the training data.
    pub epochs: Option<usize>,
    /// Learning rate.
    pub lr: Option<f64>,
    /// Minibatch size.
    pub batch_size: Option<usize>,
    /// Seed of initialisation and shuffles.
    pub seed: Option<u64>,
}

impl Overrides {
    /// `config` with these overrides applied.
    pub fn apply(&self, mut config: LearnerConfig) -> LearnerConfig {
        if let Some(epochs) = self.epochs {
            config.epochs = epochs;
        }
        if let Some(lr) = self.lr {
            config.lr = lr;
        }
        if let Some(batch_size) = self.batch_size {
            config.batch_size = batch_size;
        }
        if let Some(seed) = self.seed {
            config.seed = seed;
        }
        config
    }
}

/// Everything a run needs besides the book's defaults.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// What to train.
    pub experiment: Experiment,
    /// Changes to the book's hyper-parameters.
    pub overrides: Overrides,
    /// The backend; `None` resolves as [`crate::backend::resolve`] does.
    pub backend: Option<Backend>,
    /// Where the datasets are; `None` resolves as [`d2l_data::data_dir`] does.
    pub data_dir: Option<PathBuf>,
    /// Where run folders are created.
    pub runs_dir: PathBuf,
    /// Show a progress bar per epoch (hidden anyway when stderr is not a terminal).
    pub progress: bool,
}

impl RunOptions {
    /// The options of `experiment` with the book's defaults, writing under `runs/`.
    pub fn new(experiment: Experiment) -> Self {
        Self {
            experiment,
            overrides: Overrides::default(),
            backend: None,
            data_dir: None,
            runs_dir: PathBuf::from("runs"),
            progress: true,
        }
    }
}

/// The configuration of a Fashion-MNIST classifier run, saved as `config.json`.
#[derive(Config, Debug)]
pub struct ClassifierRunConfig {
    /// The experiment's name.
    pub experiment: String,
    /// The backend it ran on.
    pub backend: String,
    /// The model.
    pub model: SoftmaxConfig,
    /// The training loop.
    pub learner: LearnerConfig,
}

/// The outcome of a run, printed as one JSON line.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The experiment's name.
    pub experiment: String,
    /// The backend it ran on.
    pub backend: Backend,
    /// Epochs trained.
    pub epochs: usize,
    /// Mean training loss of the last epoch.
    pub train_loss: f64,
    /// Training accuracy of the last epoch.
    pub train_acc: f64,
    /// Test accuracy after the last epoch.
    pub test_acc: f64,
    /// Seconds from the start of the run (data loading included) to the saved weights.
    pub seconds: f64,
    /// The run folder.
    pub run_dir: PathBuf,
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The name is not an experiment.
    #[error("unknown experiment '{0}'; run `d2l-train --list` for the list")]
    UnknownExperiment(String),
    /// No device for the backend.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A dataset could not be loaded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Training stopped.
    #[error(transparent)]
    Train(#[from] TrainError),
    /// A file of the run folder could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Runs an experiment: loads the data, trains, and fills a run folder with `config.json`,
/// `metrics.csv`, `curves.svg`, `model.bpk` and `summary.json`.
pub fn run(options: &RunOptions) -> Result<Summary, Error> {
    let start = Instant::now();
    let backend = crate::backend::resolve(options.backend)?;
    let device = backend.device()?;
    let data = FashionMnist::load(&d2l_data::data_dir(options.data_dir.clone()))?;
    let learner = options.overrides.apply(LearnerConfig::new());
    let config = ClassifierRunConfig::new(
        options.experiment.name().to_string(),
        backend.name().to_string(),
        SoftmaxConfig::new(),
        learner,
    );
    device.seed(config.learner.seed);
    let ad = device.clone().autodiff();
    let (train, test) = fashion_mnist_datasets(&data, &device, backend.max_tensor_bytes());
    let run = match options.experiment {
        Experiment::SoftmaxScratch => train_classifier(
            config.model.init_scratch(&ad),
            &cross_entropy,
            Updater::Sgd,
            &config,
            (&train, &test),
            options,
        ),
        Experiment::Softmax => train_classifier(
            config.model.init(&ad),
            &softmax_cross_entropy,
            Updater::from(SgdConfig::new().init()),
            &config,
            (&train, &test),
            options,
        ),
    }?;
    let (run_dir, last) = run;
    let summary = Summary {
        experiment: config.experiment.clone(),
        backend,
        epochs: last.epoch,
        train_loss: last.train_loss,
        train_acc: last.train_metric,
        test_acc: last.test_metric.unwrap_or(f64::NAN),
        seconds: start.elapsed().as_secs_f64(),
        run_dir: run_dir.path().to_path_buf(),
    };
    let json = serde_json::to_string(&summary).expect("a summary serialises");
    run_dir
        .write_file("summary.json", format!("{json}\n").as_bytes())
        .map_err(io_error(run_dir.path()))?;
    Ok(summary)
}

/// The training and test splits of Fashion-MNIST as tensors on `device`, each uploaded once,
/// in blocks of at most `max_tensor_bytes` where given (see [`Backend::max_tensor_bytes`]).
pub fn fashion_mnist_datasets(
    data: &FashionMnist,
    device: &Device,
    max_tensor_bytes: Option<usize>,
) -> (TensorDataset<Tensor<1, Int>>, TensorDataset<Tensor<1, Int>>) {
    let dataset = |split: &Split| {
        let rows = max_tensor_bytes
            .map_or(split.len(), |bytes| {
                bytes / (IMAGE_PIXELS * std::mem::size_of::<f32>())
            })
            .max(1);
        let (blocks, labels) = split.to_tensor_blocks(device, rows);
        TensorDataset::from_chunks(blocks, rows, labels)
    };
    (dataset(&data.train), dataset(&data.test))
}

fn train_classifier<M: Model>(
    model: M,
    loss: &dyn Loss<Tensor<1, Int>>,
    updater: Updater,
    config: &ClassifierRunConfig,
    (train, test): (
        &TensorDataset<Tensor<1, Int>>,
        &TensorDataset<Tensor<1, Int>>,
    ),
    options: &RunOptions,
) -> Result<(RunDir, d2l_learner::EpochRecord), Error> {
    let mut run_dir = RunDir::create(&options.runs_dir, &config.experiment, "acc")
        .map_err(io_error(&options.runs_dir))?;
    run_dir
        .save_config(config)
        .map_err(io_error(run_dir.path()))?;
    let (model, history) = Learner::new(config.learner.clone(), loss, &Accuracy, updater)
        .observer(&mut run_dir)
        .progress(options.progress)
        .fit(model, train, Some(test))?;
    run_dir
        .save_weights(model.valid())
        .map_err(io_error(run_dir.path()))?;
    let last = history
        .last()
        .cloned()
        .ok_or(Error::Train(TrainError::Observer(
            "no epoch was trained (--epochs 0)".to_string(),
        )))?;
    Ok((run_dir, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn experiment_names_round_trip() {
        for experiment in Experiment::ALL {
            assert_eq!(experiment.name().parse::<Experiment>().unwrap(), experiment);
            assert!(experiment.section().starts_with("d2l "));
        }
        assert!(matches!(
            "mlp-3000".parse::<Experiment>(),
            Err(Error::UnknownExperiment(_))
        ));
    }

    #[test]
    fn overrides_replace_only_what_they_name() {
        let config = Overrides {
            lr: Some(0.5),
            ..Overrides::default()
        }
        .apply(LearnerConfig::new());
        assert_eq!(
            (config.epochs, config.batch_size, config.seed),
            (10, 256, 42)
        );
        assert_eq!(config.lr, 0.5);
    }
}
