//! The experiments, each reproducing a section of the book, and the run that trains one of
//! them into a run folder.
//!
//! | experiment | module |
//! |---|---|
//! | `softmax-scratch`, `softmax`, `mlp-scratch`, `mlp`, `dropout-scratch`, `dropout` | [`fashion`] |
//! | `weight-decay` | [`weight_decay`] |
//! | `numerical-stability` | [`stability`] |
//! | `house` | [`house`] |

pub mod fashion;
pub mod house;
pub mod stability;
pub mod weight_decay;

use burn::tensor::Device;
use d2l_data::DataError;
use d2l_learner::{LearnerConfig, RunDir, TrainError};
use d2l_models::Init;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use crate::backend::{Backend, BackendError};

pub use fashion::fashion_mnist_datasets;
pub use house::{HouseModel, HouseRecipe};

/// An experiment that `d2l-train` (and `cargo xtask train`) can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Experiment {
    /// d2l 3.6: softmax regression from scratch on Fashion-MNIST.
    SoftmaxScratch,
    /// d2l 3.7: concise softmax regression on Fashion-MNIST.
    Softmax,
    /// d2l 4.2: a 784-256-10 MLP from scratch.
    MlpScratch,
    /// d2l 4.3: the same MLP from Burn modules.
    Mlp,
    /// d2l 4.5: weight decay on a synthetic high-dimensional linear regression.
    WeightDecay,
    /// d2l 4.6: dropout from scratch in a 784-256-256-10 MLP.
    DropoutScratch,
    /// d2l 4.6: the same network from layers (Burn's `Linear` and `Relu`, d2l-models' `Dropout`).
    Dropout,
    /// d2l 4.8: vanishing and exploding gradients, and the symmetry of equal initialisation.
    NumericalStability,
    /// d2l 4.10: Kaggle house prices, K-fold cross-validation and a submission.
    House,
}

impl Experiment {
    /// Every experiment, in the order of the book.
    pub const ALL: [Experiment; 9] = [
        Experiment::SoftmaxScratch,
        Experiment::Softmax,
        Experiment::MlpScratch,
        Experiment::Mlp,
        Experiment::WeightDecay,
        Experiment::DropoutScratch,
        Experiment::Dropout,
        Experiment::NumericalStability,
        Experiment::House,
    ];

    /// What `cargo xtask train` runs when no experiment is named.
    pub const DEFAULT: Experiment = Experiment::Softmax;

    /// The name on the command line and in run folders.
    pub fn name(self) -> &'static str {
        match self {
            Experiment::SoftmaxScratch => "softmax-scratch",
            Experiment::Softmax => "softmax",
            Experiment::MlpScratch => "mlp-scratch",
            Experiment::Mlp => "mlp",
            Experiment::WeightDecay => "weight-decay",
            Experiment::DropoutScratch => "dropout-scratch",
            Experiment::Dropout => "dropout",
            Experiment::NumericalStability => "numerical-stability",
            Experiment::House => "house",
        }
    }

    /// The section of d2l.ai it reproduces.
    pub fn section(self) -> &'static str {
        match self {
            Experiment::SoftmaxScratch => "d2l 3.6 softmax regression from scratch",
            Experiment::Softmax => "d2l 3.7 concise softmax regression",
            Experiment::MlpScratch => "d2l 4.2 MLP from scratch",
            Experiment::Mlp => "d2l 4.3 concise MLP",
            Experiment::WeightDecay => "d2l 4.5 weight decay, by hand and by the optimizer",
            Experiment::DropoutScratch => "d2l 4.6 dropout from scratch",
            Experiment::Dropout => "d2l 4.6 concise dropout",
            Experiment::NumericalStability => "d2l 4.8 numerical stability and initialization",
            Experiment::House => "d2l 4.10 Kaggle house prices, K-fold",
        }
    }

    /// The training loop's book defaults for this experiment.
    pub fn learner_config(self) -> LearnerConfig {
        match self {
            Experiment::SoftmaxScratch
            | Experiment::Softmax
            | Experiment::MlpScratch
            | Experiment::Mlp => LearnerConfig::new(),
            Experiment::DropoutScratch | Experiment::Dropout => LearnerConfig::new().with_lr(0.5),
            Experiment::WeightDecay => weight_decay::learner_config(),
            Experiment::NumericalStability => stability::learner_config(),
            Experiment::House => house::learner_config(),
        }
    }

    /// The options (beyond `--epochs`, `--lr`, `--batch-size` and `--seed`) it accepts.
    pub fn options(self) -> &'static [&'static str] {
        match self {
            Experiment::SoftmaxScratch
            | Experiment::Softmax
            | Experiment::MlpScratch
            | Experiment::Mlp
            | Experiment::DropoutScratch
            | Experiment::Dropout => &["init"],
            Experiment::WeightDecay => &["weight-decay"],
            Experiment::NumericalStability => &[],
            Experiment::House => &["k", "model", "hidden", "dropout", "weight-decay", "recipe"],
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
    /// Seed of initialisation, synthetic data and shuffles.
    pub seed: Option<u64>,
    /// Weight initialisation of the Fashion-MNIST models (`--init`).
    pub init: Option<Init>,
    /// λ of `weight-decay`, or the optimizer's weight decay of `house`.
    pub weight_decay: Option<f64>,
    /// Folds of `house`'s cross-validation.
    pub k: Option<usize>,
    /// The model of `house`.
    pub model: Option<HouseModel>,
    /// Hidden units of `house --model mlp`.
    pub hidden: Option<usize>,
    /// Dropout probability of `house --model mlp`.
    pub dropout: Option<f64>,
    /// The recipe of `house`: the book's, or the better one.
    pub recipe: Option<HouseRecipe>,
}

impl Overrides {
    /// `config` with the loop's overrides applied.
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

    /// The options set here, by their command-line names (without `--`).
    fn named(&self) -> Vec<&'static str> {
        [
            ("init", self.init.is_some()),
            ("weight-decay", self.weight_decay.is_some()),
            ("k", self.k.is_some()),
            ("model", self.model.is_some()),
            ("hidden", self.hidden.is_some()),
            ("dropout", self.dropout.is_some()),
            ("recipe", self.recipe.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect()
    }

    /// An error naming the first option set here that `experiment` does not take, or a value
    /// out of range.
    pub fn check(&self, experiment: Experiment) -> Result<(), Error> {
        if let Some(name) = self
            .named()
            .into_iter()
            .find(|name| !experiment.options().contains(name))
        {
            return Err(Error::Option(format!(
                "--{name} does not apply to {experiment} (it takes: {})",
                experiment
                    .options()
                    .iter()
                    .map(|o| format!("--{o}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        if (self.hidden.is_some() || self.dropout.is_some()) && self.model != Some(HouseModel::Mlp)
        {
            return Err(Error::Option(
                "--hidden and --dropout shape the MLP: add --model mlp".to_string(),
            ));
        }
        let out_of_range = |message: String| Err(Error::Option(message));
        if self.batch_size == Some(0) {
            return out_of_range("--batch-size must be at least 1".to_string());
        }
        if let Some(k) = self.k
            && k < 2
        {
            return out_of_range(format!("--k {k}: K-fold needs at least 2 folds"));
        }
        if let Some(p) = self.dropout
            && !(0.0..1.0).contains(&p)
        {
            return out_of_range(format!("--dropout {p} is not in [0, 1)"));
        }
        if let Some(wd) = self.weight_decay
            && !(wd >= 0.0 && wd.is_finite())
        {
            return out_of_range(format!("--weight-decay {wd} must be finite and >= 0"));
        }
        Ok(())
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

    /// The loop's configuration: the experiment's book defaults with the overrides applied.
    pub fn learner_config(&self) -> LearnerConfig {
        self.overrides.apply(self.experiment.learner_config())
    }

    /// The data directory.
    fn data_dir(&self) -> PathBuf {
        d2l_data::data_dir(self.data_dir.clone())
    }
}

/// The outcome of a run, printed as one JSON line.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The experiment's name.
    pub experiment: String,
    /// The backend it ran on.
    pub backend: Backend,
    /// Epochs trained (per training run, where an experiment trains several).
    pub epochs: usize,
    /// The experiment's results by name (`test_acc`, `valid_log_rmse`, `w_norm_penalty_3`,
    /// ...), flattened into the JSON line.
    #[serde(flatten)]
    pub results: BTreeMap<String, f64>,
    /// Seconds from the start of the run (data loading included) to the saved results.
    pub seconds: f64,
    /// The run folder.
    pub run_dir: PathBuf,
}

impl Summary {
    /// The result called `name`.
    ///
    /// # Panics
    /// When the experiment reports no such result.
    pub fn result(&self, name: &str) -> f64 {
        *self.results.get(name).unwrap_or_else(|| {
            panic!(
                "{} reports no {name}; it has {:?}",
                self.experiment,
                self.results.keys().collect::<Vec<_>>()
            )
        })
    }
}

/// Why a run failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The name is not an experiment.
    #[error("unknown experiment '{0}'; run `d2l-train --help` for the list")]
    UnknownExperiment(String),
    /// An option does not apply to the experiment, or its value is out of range.
    #[error("{0}")]
    Option(String),
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

/// Maps an I/O error on `path` to [`Error::Io`].
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What an experiment hands back to [`run`]: its results and how many epochs it trained.
pub(crate) struct Outcome {
    pub(crate) epochs: usize,
    pub(crate) results: BTreeMap<String, f64>,
}

/// The context an experiment runs in.
pub(crate) struct Context<'a> {
    pub(crate) options: &'a RunOptions,
    pub(crate) backend: Backend,
    pub(crate) device: Device,
    pub(crate) run_dir: &'a RunDir,
}

/// Runs an experiment: loads its data, trains, and fills a run folder with `config.json`,
/// metrics and curves per training run, weights, plots and `summary.json`.
pub fn run(options: &RunOptions) -> Result<Summary, Error> {
    let start = Instant::now();
    options.overrides.check(options.experiment)?;
    let backend = crate::backend::resolve(options.backend)?;
    let device = backend.device()?;
    let run_dir = RunDir::create(&options.runs_dir, options.experiment.name())
        .map_err(io_error(&options.runs_dir))?;
    let context = Context {
        options,
        backend,
        device,
        run_dir: &run_dir,
    };
    let outcome = match options.experiment {
        Experiment::WeightDecay => weight_decay::run(&context),
        Experiment::NumericalStability => stability::run(&context),
        Experiment::House => house::run(&context),
        classifier => fashion::run(classifier, &context),
    }?;
    let summary = Summary {
        experiment: options.experiment.name().to_string(),
        backend,
        epochs: outcome.epochs,
        results: outcome.results,
        seconds: start.elapsed().as_secs_f64(),
        run_dir: run_dir.path().to_path_buf(),
    };
    let json = serde_json::to_string(&summary).expect("a summary serialises");
    run_dir
        .write_file("summary.json", format!("{json}\n").as_bytes())
        .map_err(io_error(run_dir.path()))?;
    Ok(summary)
}

/// The last epoch of a history, or an error for a run of zero epochs.
pub(crate) fn last_epoch(
    history: &[d2l_learner::EpochRecord],
) -> Result<&d2l_learner::EpochRecord, Error> {
    history.last().ok_or(Error::Option(
        "no epoch was trained (--epochs 0)".to_string(),
    ))
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

    #[test]
    fn book_defaults_differ_by_experiment() {
        let dropout = Experiment::Dropout.learner_config();
        assert_eq!(
            (dropout.lr, dropout.batch_size, dropout.epochs),
            (0.5, 256, 10)
        );
        let wd = Experiment::WeightDecay.learner_config();
        assert_eq!((wd.lr, wd.batch_size, wd.epochs), (0.003, 5, 100));
        let house = Experiment::House.learner_config();
        assert_eq!((house.lr, house.batch_size, house.epochs), (5.0, 64, 100));
    }

    #[test]
    fn options_that_do_not_apply_or_are_out_of_range_are_refused() {
        let k = Overrides {
            k: Some(5),
            ..Overrides::default()
        };
        assert!(k.check(Experiment::House).is_ok());
        let message = k.check(Experiment::Mlp).unwrap_err().to_string();
        assert!(message.contains("--k does not apply to mlp"), "{message}");
        let one_fold = Overrides {
            k: Some(1),
            ..Overrides::default()
        };
        assert!(one_fold.check(Experiment::House).is_err());
        let init = Overrides {
            init: Some(Init::XavierUniform),
            ..Overrides::default()
        };
        assert!(init.check(Experiment::Mlp).is_ok());
        assert!(init.check(Experiment::House).is_err());
        let dropout = Overrides {
            dropout: Some(1.0),
            model: Some(HouseModel::Mlp),
            ..Overrides::default()
        };
        assert!(dropout.check(Experiment::House).is_err());
        let linear_hidden = Overrides {
            hidden: Some(64),
            ..Overrides::default()
        };
        let message = linear_hidden
            .check(Experiment::House)
            .unwrap_err()
            .to_string();
        assert!(message.contains("--model mlp"), "{message}");
    }
}
